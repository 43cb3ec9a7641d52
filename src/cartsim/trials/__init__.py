"""Virtual trials: screening, randomisation, chunked simulation, endpoints and reports."""
