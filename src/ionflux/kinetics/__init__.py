"""kinetics"""
