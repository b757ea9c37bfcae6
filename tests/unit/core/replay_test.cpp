// The journal replayed: what the leader rebuilds is what it had, a journal that no longer fits the plan or
// the agreement at the join is refused whole and names its record, and a format-1 journal is read as it
// meant.
#include "core/codec.hpp"
#include "core/digest.hpp"
#include "support/core_fixture.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <set>

using namespace chu;
using namespace chu::test;

TEST_CASE("a leader whose plan changed since the join refuses its journal at start, applying nothing", "[leader]")
{
    auto s = setup_for("be1");
    Node leader(s);
    const auto booted = leader.boot({EpochRecord{1}, JoinedRecord{s.topology_digest, "another plan", "pkg", "key", 0}}, 0);
    REQUIRE_FALSE(booted);
    CHECK(booted.error().kind == ErrorKind::config);  // exit 78: no restart loop
    CHECK_THAT(booted.error().message, Catch::Contains("differs from what the cluster agreed at its join"));
    CHECK(leader.take_effects().empty());  // not started: no epoch, no order
}

TEST_CASE("what the leader rebuilds from its journal is what it had: one path from a record to state", "[leader][replay]")
{
    auto s = setup_for("be1");
    Node live(s);
    REQUIRE(live.boot({}, 0));
    for (const char* n : {"be2", "fe1"})
        live.on_message(Envelope{n, hello_of(s)}, 5);
    const auto stop = find_step(s.plan, "stop-frontend");
    bool failed_once = false;
    Drive drive{live, [&](const std::string& node, const Order& o) {
                    if (std::make_pair(int(o.phase), int(o.step)) == stop && !failed_once) {
                        failed_once = true;
                        return StepOutcome{Outcome::failed, 1, {}, "boom"};
                    }
                    return healthy(s, node, o);
                }};
    drive.run();
    live.on_operator(1, Op::pause, drive.now + 1);
    live.on_operator(2, Op::retry, drive.now + 2);
    drive.run();
    const auto journal = records_of(drive.seen);
    Node rebuilt(s);
    REQUIRE(rebuilt.restore(journal));
    CHECK(rebuilt.journaled() == live.journaled());
    CHECK(rebuilt.journaled().leader->hold == Leader::Hold::paused);
    CHECK(rebuilt.journaled().leader->targets.at({"fe1", {stop.first, stop.second}}).round == 1);
}

TEST_CASE("a journal that no longer fits the plan or the agreement is refused whole, naming the record", "[leader][replay]")
{
    auto s = setup_for("be1");
    const JoinedRecord agreed{s.topology_digest, s.plan_digest, "pkg", "key", 0};
    {
        Node leader(s);
        const auto refused = leader.restore({EpochRecord{1}, JoinedRecord{s.topology_digest, "another plan", "pkg", "key", 0}});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::config);
        CHECK_THAT(refused.error().message, Catch::StartsWith("inputs changed: the plan (chef-server-12"));
        CHECK(leader.journaled().leader->epoch == 0);  // nothing applied
    }
    {  // An add-on removed from the config: its phase, past the plan now.
        Node fe(setup_for("fe1"));
        const int past = static_cast<int>(s.plan.phases.size());
        const auto refused = fe.restore({EpochRecord{1}, FinishedRecord{past, 0, 0, {Outcome::ok, 0, {}, {}}, 0, 0}});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().kind == ErrorKind::config);
        CHECK_THAT(refused.error().message, Catch::Contains("record 2 (the end of step 0 of phase " + std::to_string(past) +
                                                            ") names a step that plan chef-server-12"));
    }
    {  // An approval that names no gate, and a report from a node the topology does not have.
        Node leader(s);
        CHECK_FALSE(leader.restore({agreed, DecisionRecord{Op::approve, "", 1, 0, 0, 0}}));
        CHECK_FALSE(leader.restore({agreed, ReportRecord{"fe9", 1, 0, 0, {}, 0, 0}}));
    }
}

TEST_CASE("a journal an older daemon wrote (format 1) is read as it meant: reports without an exit status, an approval "
          "without its gate",
          "[leader][replay]")
{
    auto s = setup_for("be1");
    // Format-1 bytes written by hand, as that daemon's encoder laid them out, not by today's field lists.
    auto frame = [](std::uint8_t tag, const std::function<void(Writer&)>& fields) {
        Writer payload;
        payload.u8(1);
        payload.u8(tag);
        fields(payload);
        Writer out;
        out.u32(static_cast<std::uint32_t>(payload.bytes().size()));
        out.u64(checksum64(payload.bytes()));
        return out.bytes() + payload.bytes();
    };
    const std::string report = frame(ReportRecord::tag, [](Writer& w) {
        w.str("fe1");
        w.u32(1), w.u32(0), w.u32(0);
        w.u8(static_cast<std::uint8_t>(Outcome::failed));
        w.str(""), w.str("[ERROR] boom");
        w.i64(10), w.i64(20);
    });
    const std::string approval = frame(DecisionRecord::tag, [](Writer& w) {
        w.u8(static_cast<std::uint8_t>(Op::approve));
        w.str("");
        w.u32(0), w.u32(0), w.u32(0);
        w.i64(30);
    });
    const std::string joined = encode_record(JoinedRecord{s.topology_digest, s.plan_digest, "pkg", "key", 0});
    const JournalScan scan = scan_journal(encode_record(EpochRecord{1}) + joined + report + approval);
    REQUIRE(scan.problem.empty());
    REQUIRE(scan.records.size() == 4);
    const auto& r = std::get<ReportRecord>(scan.records[2]);
    CHECK(r.end.outcome == Outcome::failed);
    CHECK(r.end.detail == "[ERROR] boom");
    CHECK(r.end.exit_code == 0);  // not kept by format 1

    Node leader(s);
    REQUIRE(leader.restore(scan.records));
    const auto gate = find_step(s.plan, "approve-cleanup");
    CHECK(leader.journaled().leader->approved == std::set<StepRef>{{gate.first, gate.second}});
    CHECK(leader.journaled().leader->targets.at({"fe1", {1, 0}}).state == Leader::TargetState::failed);
}
