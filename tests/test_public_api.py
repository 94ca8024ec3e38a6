import sparkgrove


def test_public_surface_is_sorted_and_importable() -> None:
    assert sparkgrove.__all__ == sorted(sparkgrove.__all__)
    for name in sparkgrove.__all__:
        assert getattr(sparkgrove, name) is not None


def test_every_error_derives_from_the_root_with_an_exit_code() -> None:
    errors = [getattr(sparkgrove, n) for n in sparkgrove.__all__ if n.endswith(("Error",
                                                                                "Problem"))]
    assert len(errors) == 9
    for error in errors:
        assert issubclass(error, sparkgrove.SparkgroveError)
        assert error.exit_code >= 1
        assert 400 <= error.http_status < 600
