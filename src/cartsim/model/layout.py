"""The parameter vector the right-hand side reads: its names, model units and order.

Two parts. ``CATALOG_PARAMETERS`` are read from the cited catalogue and converted once, here at
the boundary, into the model units listed (time in days, cells, litres, mg, pg/mL).
``SPECIFIC_PARAMETERS`` depend on the patient and the therapy of an arm (body weight, which
antigen the CAR recognises, which antibody is given, the baseline pools of this patient) and are
filled by ``model.parameterise``. Submodels read entries by the index constants of ``P``; this
module only declares, it computes nothing.
"""

from __future__ import annotations

from cartsim.model.bcells_layout import SUBSETS

CATALOG_PARAMETERS: tuple[tuple[str, str], ...] = (
    # physiology and trafficking
    ("v_blood", "L"),
    ("v_plasma", "mL"),
    ("v_lymph_node", "L"),
    ("v_spleen", "L"),
    ("v_bone_marrow", "L"),
    ("v_cns", "L"),
    ("kp_bcell_lymph_node", ""),
    ("kp_bcell_spleen", ""),
    ("kp_bcell_bone_marrow", ""),
    ("kp_tcell_lymph_node", ""),
    ("kp_tcell_spleen", ""),
    ("kp_tcell_bone_marrow", ""),
    ("k_exit_activated", "1/day"),
    ("k_exit_resting_tcell", "1/day"),
    ("k_cns_entry", "1/day"),
    ("k_cns_exit", "1/day"),
    ("f_bbb_entry_gain", ""),
    # CAR-T kinetics
    ("k_prolif_cart", "1/day"),
    ("ec50_cart_activation", "cell/L"),
    ("f_sink_half_tcell", ""),
    ("ec50_antigen_switch", "cell/L"),
    ("k_kill_cart", "1/day"),
    ("ec50_kill_cart", "cell/L"),
    ("f_kill_tissue_cart", ""),
    ("f_kill_tissue_antibody", ""),
    ("f_kill_cns_antibody", ""),
    ("k_eff_to_mem", "1/day"),
    ("k_death_cart_eff", "1/day"),
    ("k_death_cart_mem", "1/day"),
    ("k_mem_to_eff", "1/day"),
    ("k_exhaustion_cart", "1/day"),
    ("k_death_cart_exh", "1/day"),
    ("k_homeostatic_cart", "1/day"),
    ("a_homeostatic_cart", ""),
    ("k_homeostatic_cart_lymphopenic", "1/day"),
    ("n_capacity_cart", "cell"),
    ("k_vector_clearance", "1/day"),
    ("yield_transduction", "cell/vg"),
    ("ec50_transduction_tcell", "cell"),
    # normal T cells
    ("k_homeostatic_tcell", "1/day"),
    ("n_capacity_tcell", "cell"),
    # conditioning and lymphodepleting drugs
    ("t_half_fludarabine", "day"),
    ("t_half_cyclophosphamide", "day"),
    ("t_half_atg", "day"),
    ("t_half_melphalan", "day"),
    ("vd_fludarabine", "L/kg"),
    ("vd_cyclophosphamide", "L/kg"),
    ("vd_atg", "L/kg"),
    ("vd_melphalan", "L/kg"),
    ("k_kill_lymph_fludarabine", "1/day"),
    ("k_kill_lymph_cyclophosphamide", "1/day"),
    ("k_kill_lymph_atg", "1/day"),
    ("k_kill_lymph_melphalan", "1/day"),
    ("ec50_kill_fludarabine", "mg/L"),
    ("ec50_kill_cyclophosphamide", "mg/L"),
    ("ec50_kill_atg", "mg/L"),
    ("ec50_kill_melphalan", "mg/L"),
    ("f_atg_bcell_kill", ""),
    ("k_kill_progenitor_melphalan", "1/day"),
    ("k_kill_progenitor_cyclophosphamide", "1/day"),
    ("k_progenitor_renewal", "1/day"),
    # neutrophils and platelets (Friberg myelosuppression chains)
    ("mtt_neutrophil", "day"),
    ("gamma_neutrophil", ""),
    ("mtt_platelet", "day"),
    ("gamma_platelet", ""),
    ("k_kill_marrow_fludarabine", "1/day"),
    ("k_kill_marrow_cyclophosphamide", "1/day"),
    ("k_kill_marrow_atg", "1/day"),
    ("k_kill_marrow_melphalan", "1/day"),
    ("f_kill_marrow_platelet", ""),
    ("anc_blood_0", "cell/uL"),
    ("platelets_blood_0", "cell/nL"),
    # B lineage kinetics
    ("f_repletion_boost", ""),
    ("n_cart_progenitor_suppression", "cell"),
    ("k_preb_maturation", "1/day"),
    ("k_death_preb", "1/day"),
    ("k_transitional_maturation", "1/day"),
    ("k_death_transitional", "1/day"),
    ("k_death_naive", "1/day"),
    ("k_naive_activation", "1/day"),
    ("k_death_memory", "1/day"),
    ("k_memory_to_plasmablast", "1/day"),
    ("k_death_plasmablast", "1/day"),
    ("k_plasmablast_to_plasma_cell", "1/day"),
    ("k_death_plasma_cell", "1/day"),
    ("f_auto_naive", ""),
    ("f_auto_memory_cap", ""),
    ("k_auto_memory_renewal", "1/day"),
    ("f_reset", ""),
    *((f"f_cd20_{s}", "") for s in SUBSETS),
    ("f_cd20_malignant", ""),
    # malignant B cells (oncology contrast)
    ("k_malignant_growth", "1/day"),
    # cytokines and endothelial/BBB activation
    ("il6_plasma_0", "pg/mL"),
    ("t_half_il6", "day"),
    ("q_il6_cart", "pg/cell/day"),
    ("crp_plasma_0", "mg/L"),
    ("t_half_crp", "day"),
    ("k_bbb_activation", "1/day"),
    ("ec50_bbb_il6", "pg/mL"),
    ("ec50_bbb_cart", "cell/L"),
    ("k_bbb_recovery", "1/day"),
    # immunoglobulins
    ("t_half_igg", "day"),
    ("igg_serum_0", "g/L"),
    ("f_plasmablast_secretion", ""),
    ("k_csf_turnover", "1/day"),
    # anti-CD20 antibody effect and tissue exposure
    ("k_kill_max_anti_cd20", "1/day"),
    ("ec50_anti_cd20", "mg/L"),
    ("hill_anti_cd20", ""),
    ("kp_antibody_lymph_node", ""),
    ("kp_antibody_spleen", ""),
    ("kp_antibody_bone_marrow", ""),
    ("kp_antibody_cns", ""),
    # MS disease activity
    ("f_relapse_bcell_driven", ""),
    ("f_lesion_bcell_driven", ""),
    ("f_cns_share_bcell_activity", ""),
    ("nfl_serum_healthy", "pg/mL"),
    ("t_half_nfl", "day"),
    # CRS/ICANS management: tocilizumab and dexamethasone
    ("t_half_tocilizumab", "day"),
    ("vd_tocilizumab", "L/kg"),
    ("ec50_tocilizumab_il6r", "mg/L"),
    ("f_il6_receptor_clearance", ""),
    ("t_half_dexamethasone", "day"),
    ("vd_dexamethasone", "L"),
    ("t_half_dexamethasone_effect", "day"),
    ("ec50_dexamethasone", "mg/L"),
    ("emax_dexamethasone_il6", ""),
    ("emax_dexamethasone_cart", ""),
)

SPECIFIC_PARAMETERS: tuple[tuple[str, str, str], ...] = (
    ("weight_kg", "kg", "body weight of the patient"),
    *((f"w_target_{s}", "", f"CAR antigen weight of {s} for this product's target") for s in SUBSETS),
    ("w_target_malignant", "", "CAR antigen weight of the malignant cells"),
    ("f_costim_prolif", "", "proliferation multiplier of the costimulatory domain (1 for 4-1BB)"),
    ("f_costim_mem_death", "", "memory-death multiplier of the costimulatory domain"),
    ("f_costim_exhaustion", "", "exhaustion multiplier of the costimulatory domain"),
    ("k_rejection", "1/day", "host rejection of allogeneic CAR-T at baseline T-cell counts"),
    ("ab_ka", "1/day", "absorption rate of the antibody from a subcutaneous depot"),
    ("ab_vc", "L", "central volume of the antibody"),
    ("ab_vp", "L", "peripheral volume of the antibody"),
    ("ab_q", "L/day", "inter-compartmental clearance of the antibody"),
    ("ab_cl", "L/day", "linear clearance of the antibody"),
    ("ab_k_cl_decay", "1/day", "decay rate of the time-dependent clearance"),
    ("prod_preb", "cell/day", "bone-marrow pre-B production giving this patient's B-cell count"),
    ("bcell_periph_ref", "cell", "untreated peripheral B-cell pool (repletion feedback)"),
    ("norm_bcell_activity", "cell", "untreated peripheral autoreactive memory B + plasmablasts"),
    ("norm_bcell_activity_cns", "cell", "untreated autoreactive memory B, plasmablasts, PC in CNS"),
    ("norm_igg_source", "cell", "untreated IgG-secreting cells"),
    ("norm_auto_source", "cell", "untreated autoantibody-secreting cells"),
    ("norm_cns_source", "cell", "untreated CNS IgG-secreting cells"),
    ("k_relapse_base", "1/day", "untreated relapse rate of the disease course"),
    ("k_lesion_base", "1/day", "untreated new-lesion rate of the disease course"),
    ("nfl_serum_disease", "pg/mL", "untreated serum NfL of the disease"),
    ("malignant_capacity", "cell", "untreated malignant burden (logistic capacity); 0 if none"),
    ("f_malignant_traffic", "", "1 if malignant cells circulate (B-ALL), 0 if nodal (LBCL)"),
)

LAYOUT: tuple[tuple[str, str], ...] = CATALOG_PARAMETERS + tuple(
    (name, unit) for name, unit, _ in SPECIFIC_PARAMETERS
)
P: dict[str, int] = {name: i for i, (name, _) in enumerate(LAYOUT)}
N_PARAMETERS = len(LAYOUT)
