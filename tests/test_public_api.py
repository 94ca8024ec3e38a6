import sparkgrove


def test_public_surface_is_sorted_and_importable() -> None:
    assert sparkgrove.__all__ == sorted(sparkgrove.__all__)
    for name in sparkgrove.__all__:
        assert getattr(sparkgrove, name) is not None


def test_every_error_lives_in_errors_derives_from_the_root_and_is_exported() -> None:
    import inspect

    from sparkgrove import errors as module

    errors = [c for _, c in inspect.getmembers(module, inspect.isclass)
              if issubclass(c, Exception) and c.__module__ == module.__name__]
    assert len(errors) == 19
    assert {e.__name__ for e in errors} <= set(sparkgrove.__all__)
    for error in errors:
        assert issubclass(error, sparkgrove.SparkgroveError)
        assert error.exit_code >= 1
        assert 400 <= error.http_status < 600
