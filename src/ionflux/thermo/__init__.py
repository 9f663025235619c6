"""thermo"""
