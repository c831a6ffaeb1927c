def test_an_endpoints_numbers_match_to_a_json_round_trip_and_labels_exactly() -> None:
    import numpy as np

    from portable_mlops.serving.deploy import same_answers

    predicted = np.asarray([151.10000610351562, 75.0, 1e-12])
    answered = [float(repr(v)) for v in predicted.tolist()]  # what JSON gives back
    assert same_answers(answered, predicted).all()
    assert same_answers([151.1, 75.0, 0.0], predicted).tolist() == [True, True, True]
    assert same_answers([151.2, 75.0, 0.0], predicted).tolist() == [False, True, True]
    labels = np.asarray(["benign", "malignant"], dtype=object)
    assert same_answers(["benign", "benign"], labels).tolist() == [True, False]
    assert same_answers([0, 1], np.asarray([0, 1])).tolist() == [True, True]
