"""A small pyace B-basis the ACE and distillation tests share (4.5 Å, ranks 1-2)."""

SMALL_BASIS = {
    "deltaSplineBins": 0.001, "elements": ["Ba", "O", "Ti"],
    "embeddings": {"ALL": {"npot": "FinnisSinclairShiftedScaled", "fs_parameters": [1, 1],
                           "ndensity": 1}},
    "bonds": {"ALL": {"radbase": "ChebExpCos", "radparameters": [5.25], "rcut": 4.5,
                      "dcut": 0.01, "NameOfCutoffFunction": "cos"}},
    "functions": {"ALL": {"nradmax_by_orders": [4, 1], "lmax_by_orders": [0, 1]}},
}
