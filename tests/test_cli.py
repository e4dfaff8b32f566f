"""The hftour command: bad input gives one clear line on stderr and a non-zero exit, never a traceback."""
from hftour.cli import main


def test_unknown_standin_id_is_one_line(capsys):
    assert main(["standins", "build", "no/such-id"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no/such-id" in err and "hftour standins list" in err
    assert "Traceback" not in err


def test_compare_without_a_second_cache_is_one_line(capsys, tmp_path):
    assert main(["standins", "compare", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "hftour standins build" in err
