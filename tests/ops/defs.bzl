"""op_case_test: one operator family's generated cases (tests/ops/<family>_cases.py) as a test target."""

def op_case_test(family):
    script = family + "_cases.py"
    native.genrule(
        name = family + "_cases_tar",
        testonly = True,
        visibility = ["//tests/jit:__pkg__"],
        srcs = [script, "opcase.py"],
        outs = [family + "_cases.tar"],
        cmd = "PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 $(location %s) $@" % script,
        message = "Generating the %s operator cases" % family,
    )
    native.genrule(
        name = family + "_cases_path",
        testonly = True,
        outs = [family + "_cases_path.cc"],
        cmd = "echo 'extern const char* const kOpCasesTar; const char* const kOpCasesTar = \"tests/ops/%s_cases.tar\";' > $@" % family,
    )
    native.cc_test(
        name = family + "_cases_test",
        size = "small",
        srcs = [family + "_cases_path.cc"],
        data = [":" + family + "_cases_tar"],
        deps = [":op_case_runner"],
    )
