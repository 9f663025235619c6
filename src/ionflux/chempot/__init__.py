"""chempot"""
