"""Catalog hardening: plausible ranges, overlay column names, duplicates, and safe input reading."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
import yaml

from hwcatalog import CatalogError, InputFileError, load_catalog, validate_file
from hwcatalog.safeio import DEFAULT_MAX_INPUT_BYTES, excerpt, load_yaml, read_csv, read_text, require_number
from tests.conftest import write

BOMB_LEVELS = "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))
BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BOMB_LEVELS  # *i is a list of 9^9 items


@contextlib.contextmanager
def deadline(seconds: float):
    """Fail (instead of hanging) when the body blocks longer than ``seconds``: SIGALRM interrupts a blocking open()."""

    def expire(signum, frame):
        raise TimeoutError(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def load(path, **kw):
    return load_catalog([path], max_price_age_days=None, **kw)


# ---------------------------------------------------------------------------------------- plausible ranges


def test_h100_quote_of_usd_240_is_refused(tmp_path):
    # USD 240 is an ordinary price for a memory module: the range is the category's, not the attribute's
    ok = write(tmp_path, "dram.csv", "id,price_usd,date,source\ndram-ddr5-5600-rdimm-64gb,240,2026-10-01,Quote\n")
    assert load(ok).item("dram-ddr5-5600-rdimm-64gb")["price_usd"] == 240
    f = write(tmp_path, "q.csv", "id,price_usd,date,source\nnvidia-h100-sxm,240,2026-10-01,Quote Q-9\n")
    match = r"q.csv, row 2, field 'price_usd': expected USD in the plausible range \[500, 2e\+07\] for an accelerator, got 240$"
    with pytest.raises(CatalogError, match=match):
        load(f)
    with pytest.raises(CatalogError, match="plausible range"):
        validate_file(f)


def test_h100_quote_of_usd_240_is_a_warning_when_ranges_are_not_strict(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date,source\nnvidia-h100-sxm,240,2026-10-01,Quote Q-9\n")
    cat = load(f, strict_ranges=False)
    assert cat.item("nvidia-h100-sxm")["price_usd"] == 240
    [warning] = [w for w in cat.warnings if "plausible range" in w]
    assert "q.csv, row 2, field 'price_usd'" in warning and "got 240" in warning and "[500, 2e+07]" in warning
    assert validate_file(f, strict_ranges=False) == 1


# ---------------------------------------------------------------------------------------- overlay semantics


def test_missing_date_column_is_named_as_in_the_docs(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,source\nnvidia-h100-sxm,21000,Quote\n")
    with pytest.raises(CatalogError) as info:
        load(f)
    assert info.value.field == "date" and info.value.row == 2
    assert "source_date" not in str(info.value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("q.csv", "id,price_usd,date\nnvidia-h100-sxm,21000,2026-10-01\nnvidia-h100-sxm,19000,2026-10-02\n"),
        (
            "q.yaml",
            "items:\n  - {id: nvidia-h100-sxm, price_usd: 21000, date: 2026-10-01}\n  - {id: nvidia-h100-sxm, power_kw: 1.2, date: 2026-10-01}\n",
        ),
    ],
)
def test_duplicate_set_rows_are_errors(tmp_path, name, text):
    f = write(tmp_path, name, text)
    with pytest.raises(CatalogError, match=r"duplicate 'set' row for 'nvidia-h100-sxm' \(first in row (2|items\[0\])\)"):
        load(f)


def test_duplicate_discount_rows_are_errors(tmp_path):
    f = write(tmp_path, "d.csv", "vendor,discount\nNVIDIA,0.1\nNVIDIA,0.2\n")
    with pytest.raises(CatalogError, match=r"row 3, field 'vendor': duplicate 'discount' row for 'NVIDIA'"):
        load(f)


def test_duplicate_csv_column_is_an_error(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date,price_usd\nnvidia-h100-sxm,21000,2026-10-01,19000\n")
    with pytest.raises(CatalogError, match=r"row 1, field 'price_usd': duplicate column"):
        load(f)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "items:\n  - {id: nvidia-h100-sxm, power_kw: yes, date: 2026-10-01}\n",
            r"field 'power_kw': expected a number in kW, got the boolean true",
        ),
        ("items:\n  - {id: nvidia-h100-sxm, power_kw: true, date: 2026-10-01}\n", r"got the boolean true"),
        ("discounts: {NVIDIA: no}\n", r"field 'discount': expected a fraction in \[0, 1\), got the boolean false"),
    ],
)
def test_a_boolean_is_not_a_number(tmp_path, text, match):
    f = write(tmp_path, "q.yaml", text)
    with pytest.raises(CatalogError, match=match):
        load(f)


def test_set_row_cannot_change_category(tmp_path):
    f = write(tmp_path, "q.csv", "id,category,power_kw,date\nnvidia-h100-sxm,memory,1.2,2026-10-01\n")
    with pytest.raises(CatalogError, match=r"field 'category': category is given only when adding an item"):
        load(f)


# ---------------------------------------------------------------------------------------- what a file may be


def test_fifo_is_refused_before_opening(tmp_path):
    fifo = tmp_path / "quotes.csv"
    os.mkfifo(fifo)
    t = time.perf_counter()
    with deadline(5), pytest.raises(CatalogError, match=r"quotes.csv: is a FIFO \(named pipe\), not a regular file"):
        load(fifo)
    assert time.perf_counter() - t < 2


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_devices_are_refused(tmp_path):
    with pytest.raises(InputFileError, match=r"/dev/zero: is a device or socket, not a regular file"):
        read_text("/dev/zero", what="a test file")
    link = tmp_path / "quotes.yaml"
    link.symlink_to("/dev/null")  # the old reader read it as an empty overlay
    with pytest.raises(CatalogError, match="is a device or socket"):
        load(link)


def test_directory_is_refused(tmp_path):
    (tmp_path / "quotes.csv").mkdir()
    with pytest.raises(CatalogError, match="is a directory, not a regular file; expected a CSV or YAML overlay"):
        load(tmp_path / "quotes.csv")


def test_over_limit_file_is_refused(tmp_path):
    row = "nvidia-h100-sxm,21000,2026-10-01,Quote Q-1\n"
    text = "id,price_usd,date,source\n" + row * (DEFAULT_MAX_INPUT_BYTES // len(row) + 1)
    f = write(tmp_path, "big.csv", text)
    with pytest.raises(CatalogError, match=r"big.csv: the file has [\d,]+ bytes or more; the limit is 1,048,576 bytes"):
        load(f)
    small = write(tmp_path, "small.yaml", "a: 1\n")
    with pytest.raises(InputFileError, match="the limit is 4 bytes"):
        read_text(small, what="a test file", max_bytes=4)


def test_not_utf8_names_the_byte_offset(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes(b"id,price_usd,date\nnvidia-h100-sxm,21000\xff,2026-10-01\n")
    with pytest.raises(CatalogError, match=r"q.csv, line 2: not UTF-8 text: byte 0xff at byte offset 39"):
        load(f)


def test_nul_character_is_refused(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date\nnvidia-h100-sxm,21000\x00,2026-10-01\n")
    with pytest.raises(CatalogError, match=r"q.csv, line 2: a NUL character"):
        load(f)


def test_huge_csv_cell_is_a_one_line_error(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date,note\nnvidia-h100-sxm,21000,2026-10-01," + "x" * 200_000 + "\n")
    with pytest.raises(CatalogError, match=r"q.csv, row 2: a cell is longer than 131,072 characters"):
        load(f)


# ---------------------------------------------------------------------------------------- hostile YAML


def test_alias_bomb_is_refused_fast_with_a_short_message(tmp_path):
    # 9^6 items: small enough that the old loader finished (quoting all of it in the message)
    six = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + BOMB_LEVELS.split("g: ")[0]
    f = write(
        tmp_path, "q.yaml", "x:\n  " + six.replace("\n", "\n  ") + "\nitems:\n  - {id: nvidia-h100-sxm, name: *f, date: 2026-10-01}\n"
    )
    t = time.perf_counter()
    with pytest.raises(CatalogError) as info:
        load(f)
    assert time.perf_counter() - t < 1
    assert "alias bomb" in str(info.value) and len(str(info.value)) < 300


def test_full_alias_bomb_is_refused_by_the_loader():
    t = time.perf_counter()
    with pytest.raises(InputFileError, match=r"bomb.yaml, line \d+: aliases expand to more than 10,000 nodes") as info:
        load_yaml(BOMB + "name: *i\n", file="bomb.yaml")
    assert time.perf_counter() - t < 1 and len(str(info.value)) < 300


def test_many_aliases_are_refused():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(InputFileError, match="more than 100 aliases"):
        load_yaml(text, file="f.yaml")


def test_recursive_alias_is_refused():
    with pytest.raises(InputFileError, match="refers to a node that contains it"):
        load_yaml("a: &a [1, *a]\n", file="f.yaml")


@pytest.mark.parametrize("depth", [40, 5000])
def test_deep_nesting_is_refused(tmp_path, depth):
    """Our composer refuses past 32 levels; PyYAML 6.0.4 and later refuse very deep documents in
    its parser first, with its own message. Either way, one line naming the file and line."""
    f = write(tmp_path, "q.yaml", "items:\n  - {id: nvidia-h100-sxm, price_usd: " + "[" * depth + "]" * depth + ", date: 2026-10-01}\n")
    expected = "nested deeper than 32 levels" if depth == 40 else "(nested deeper than 32 levels|exceeded maximum nesting depth)"
    with pytest.raises(CatalogError, match=rf"q.yaml, line 2: .*{expected}"):
        load(f)
    assert load_yaml("[" * 32 + "]" * 32, file="f.yaml") is not None


def test_duplicate_yaml_keys_are_refused(tmp_path):
    f = write(tmp_path, "q.yaml", "items:\n  - id: nvidia-h100-sxm\n    price_usd: 21000\n    price_usd: 19000\n    date: 2026-10-01\n")
    with pytest.raises(CatalogError, match=r"q.yaml, line 4: duplicate key 'price_usd' \(first at line 3\)"):
        load(f)


def test_lists_are_not_field_values(tmp_path):
    f = write(tmp_path, "q.yaml", "items:\n  - {id: nvidia-h100-sxm, name: [a, b], date: 2026-10-01}\n")
    with pytest.raises(CatalogError, match=r"row items\[0\], field 'name': expected a single value, got \['a', 'b'\]"):
        load(f)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("1" + "0" * 400, r"field 'price_usd': expected a number in USD, got <integer of about 401 digits>"),
        ("1" + "0" * 5000, r"q.yaml: invalid YAML value"),
    ],
)
def test_huge_integers_are_one_line_errors(tmp_path, value, match):
    f = write(tmp_path, "q.yaml", f"items:\n  - {{id: nvidia-h100-sxm, price_usd: {value}, date: 2026-10-01}}\n")
    with pytest.raises(CatalogError, match=match) as info:
        load(f)
    assert len(str(info.value)) < 300


# ---------------------------------------------------------------------------------------- excerpts and helpers


def test_error_messages_quote_only_an_excerpt(tmp_path):
    f = write(tmp_path, "q.csv", "id,price_usd,date\nnvidia-h100-sxm," + "9x" * 5000 + ",2026-10-01\n")
    with pytest.raises(CatalogError, match=r"expected a number in USD, got '9x9x.*\.\.\. \(10000 characters\)") as info:
        load(f)
    assert len(str(info.value)) < 300


def test_excerpt_never_builds_a_huge_repr():
    bomb = yaml.safe_load(BOMB)["i"]  # 9 lists of 9 lists ... of 9 strings: 9^9 leaves, shared
    t = time.perf_counter()
    short = excerpt(bomb)
    assert time.perf_counter() - t < 0.1 and len(short) <= 60, short
    assert excerpt("x" * 1000).endswith("... (1000 characters)") and len(excerpt("x" * 1000)) < 90
    assert excerpt(10**5000) == "<integer of about 5001 digits>"
    assert excerpt("a\nb") == "'a\\nb'"
    assert excerpt(list(range(10**6))) == "<list of 1000000 items>"
    assert excerpt({"a": 1}) == "{'a': 1}"


def test_require_number():
    assert require_number("1.5", file="f", field="x") == 1.5
    assert require_number(3, file="f", field="x") == 3.0
    for bad, match in [
        (True, "the boolean true"),
        (False, "the boolean false"),
        ("abc", "got 'abc'"),
        (float("nan"), "finite"),
        ([1], r"got \[1\]"),
    ]:
        with pytest.raises(InputFileError, match=f"f, field 'x': expected a number.*{match}"):
            require_number(bad, file="f", field="x")


def test_read_csv_rows_and_width():
    header, rows = read_csv("a, b\n1,2\n\n3\n", file="t.csv")
    assert header == ["a", "b"] and rows == [{"a": "1", "b": "2"}, {"a": "3", "b": ""}]
    with pytest.raises(InputFileError, match=r"t.csv, row 2: expected 2 cells as in the header, got 3"):
        read_csv("a,b\n1,2,3\n", file="t.csv")
    with pytest.raises(InputFileError, match="expected a header row"):
        read_csv("", file="t.csv")


def test_yaml_booleans_stay_booleans():
    assert load_yaml("a: yes\nb: off\nc: 1\n", file="f.yaml") == {"a": True, "b": False, "c": 1}
    assert load_yaml("", file="f.yaml") is None
    assert load_yaml("base: &b {x: 1}\nother: {<<: *b, y: 2}\n", file="f.yaml")["other"] == {"x": 1, "y": 2}
