// What a step runs and how its end is read back: the check frame between the daemon and its child, and the
// copy step's archive on stdin.
#include "exec/step_command.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <filesystem>

using namespace chu;

namespace {

RunStep check_step()
{
    RunStep run;
    run.phase = 1;
    run.step = 2;
    run.step_id = "check-disk-space";
    run.action.kind = StepKind::check;
    run.action.check = Check::disk_space;
    return run;
}

}  // namespace

TEST_CASE("a check's report survives whatever its value and message hold, and only a whole frame counts", "[step]")
{
    const CheckReport odd{"29\nchu-check/1 1:x 1:y", "free: 29 MiB: below 40 MiB\nmake room"};
    const std::string frame = encode_check_report(odd);
    const auto read = decode_check_report("noise before\n" + frame);
    REQUIRE(read);
    CHECK(read->value == odd.value);
    CHECK(read->message == odd.message);
    CHECK_FALSE(decode_check_report(frame.substr(0, frame.size() - 3)));  // cut short: no report
    CHECK_FALSE(decode_check_report("29\nok\n"));                         // the old "last line" form
    CHECK_FALSE(decode_check_report("xchu-check/1 1:a 1:b\n"));           // not at a line's start
}

TEST_CASE("a check step runs the check helper beside the daemon and reads its frame; one that exits 0 without it fails", "[step]")
{
    const ChildContext ctx{"/usr/sbin/chef-ha-upgraded", "/etc/chef-ha-upgrade/chef-ha-upgrade.conf", "/tmp/state"};
    const auto command = step_command(check_step(), ctx);
    REQUIRE(command);
    CHECK(command->exec.argv == std::vector<std::string>{"/usr/sbin/../libexec/chef-ha-upgrade/chef-ha-upgrade-check", "--config",
                                                         ctx.config_path, "disk-space"});
    CHECK_FALSE(command->exec.log_out);

    ExecResult passed;
    passed.out = encode_check_report({"29", "enough room"});
    const StepOutcome ok = step_outcome(*command, passed);
    CHECK(ok.outcome == Outcome::ok);
    CHECK(ok.value == "29");
    CHECK(ok.detail == "enough room");

    ExecResult silent;
    silent.tail = "something else\n";
    const StepOutcome bad = step_outcome(*command, silent);
    CHECK(bad.outcome == Outcome::failed);
    CHECK(bad.detail == "the check exited 0 without its report: something else");

    ExecResult died;
    died.outcome = Outcome::failed;
    died.exit_code = 134;
    died.err = "chef-ha-upgraded: cannot read the config\n";
    CHECK(step_outcome(*command, died).detail == "chef-ha-upgraded: cannot read the config");
}

TEST_CASE("a copy step's archive is its command's stdin, never a file in the state dir; a gate runs nothing", "[step]")
{
    chu::test::TempDir dir;
    const ChildContext ctx{"/usr/sbin/chef-ha-upgraded", "/etc/c.conf", dir.str()};
    RunStep run;
    run.step_id = "copy-etc-opscode";
    run.action.kind = StepKind::copy;
    run.action.dir = "/etc/opscode";
    run.archive = std::make_shared<const std::string>("tar bytes");
    const auto command = step_command(run, ctx);
    REQUIRE(command);
    CHECK(command->exec.argv == std::vector<std::string>{"/usr/sbin/chef-ha-upgraded", "--config", "/etc/c.conf",
                                                         "--install-archive", "/dev/stdin", "--dir", "/etc/opscode"});
    CHECK(command->exec.input == run.archive);  // shared with the worker's copy, not another 16 MiB
    ExecResult done;
    done.tail = "installed\n";
    CHECK(step_outcome(*command, done).detail == "installed\n");
    CHECK(std::filesystem::is_empty(dir.str()));

    run.action.kind = StepKind::gate;
    CHECK_FALSE(step_command(run, ctx));
}
