"""The kernel seam: [scenario] kernel picks a package; FreeBSD 10.0 is the default and the packages' defaults,
variants, costs file and documented order reach the model."""
from dataclasses import replace

import pytest

from tcpsim import kernels, scenario
from tcpsim.errors import TcpsimError

FIG3 = "scenarios/paper/fig3_4queues.toml"


def test_the_default_kernel_is_freebsd10_and_a_model_carries_it():
    m = scenario.load(FIG3)
    assert m.kernel_name == "freebsd10"
    k = kernels.of(m)
    assert k.title == "FreeBSD 10.0" and "baseline" in k.variants and k.costs_file == "freebsd10.toml"
    assert set(m.paths) == set(k.paths)


def test_an_unknown_kernel_is_a_one_line_error_naming_the_allowed_ones():
    text = open(FIG3).read().replace('[scenario]\n', '[scenario]\nkernel = "freebsd11"\n', 1)
    with pytest.raises(TcpsimError) as e:
        scenario.parse(text, "x.toml")
    msg = str(e.value)
    assert "\n" not in msg and "[scenario] kernel" in msg and "freebsd10" in msg and "freebsd11" in msg


def test_a_package_supplies_defaults_variants_and_costs(monkeypatch):
    """A second package (here FreeBSD's, renamed, with one default of its own) is selected by name: the keys
    the file leaves out take its defaults, a key the file gives keeps the file's value."""
    base = kernels.package("freebsd10")
    other = replace(base, name="testkernel", defaults={"hardware.rx_process_limit": 64, "kernel.backlog": 77})
    monkeypatch.setitem(kernels.MODULES, "testkernel", "unused")
    monkeypatch.setitem(kernels._LOADED, "testkernel", other)
    monkeypatch.setitem(scenario.SCHEMA["scenario"], "kernel",
                        replace(scenario.SCHEMA["scenario"]["kernel"], choices=tuple(kernels.MODULES)))
    text = open(FIG3).read().replace('[scenario]\n', '[scenario]\nkernel = "testkernel"\n', 1)
    s = scenario.parse(text, "x.toml")
    assert s["hardware"]["rx_process_limit"] == 64
    given = "backlog" in scenario.tomlfile.parse(open(FIG3).read(), FIG3).get("kernel", {})
    assert s["kernel"]["backlog"] == (scenario.parse(open(FIG3).read(), FIG3)["kernel"]["backlog"] if given else 77)
    m = scenario.build(s, text, FIG3)
    assert m.kernel_name == "testkernel" and m.hardware.rx_process_limit == 64
