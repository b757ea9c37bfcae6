// Linked into the programs tests start as children in a CHU_SANITIZE build. Their sanitizer reports (ASan,
// LSan, UBSan alike) go to files, report.<exe>.<pid> in CHU_SANITIZER_REPORTS, which the suite's last test
// requires to be empty: no test reads a daemon's stderr, or its exit status after SIGTERM. Options in the
// environment still win.

extern "C" const char* __asan_default_options()
{
    return "log_path=" CHU_SANITIZER_REPORTS "/report:log_exe_name=1:detect_leaks=1:detect_stack_use_after_return=1";
}

extern "C" const char* __ubsan_default_options()
{
    return "log_path=" CHU_SANITIZER_REPORTS "/report:log_exe_name=1:print_stacktrace=1:halt_on_error=1";
}
