#include "support/core_fixture.hpp"

#include "config/plan_file.hpp"
#include "core/digest.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <iterator>

namespace chu::test {

namespace {

const char* const topology_text = R"(topology "ha"
server "be1", :ipaddress => "192.0.2.1", :role => "backend", :bootstrap => true
server "be2", :ipaddress => "192.0.2.2", :role => "backend"
server "fe1", :ipaddress => "192.0.2.3", :role => "frontend"
)";

}  // namespace

NodeSetup setup_for(const std::string& node, Config config)
{
    config.upgrade.package = "/srv/chef-server-core_12.19.31-1_amd64.deb";
    auto raw = load_plan(std::string(CHU_SOURCE_DIR) + "/conf/plans/chef-server-12.plan", "");
    REQUIRE(raw);
    return make_setup(parse_topology(topology_text, "test.rb").value(), effective_plan(raw.value(), config).value(), config, node,
                      NodeFacts{"/usr/bin/private-chef-ctl", config.upgrade.package, PackageFormat::deb}, "pkg", "key", "test");
}

std::vector<Record> records_of(const std::vector<Effect>& effects)
{
    std::vector<Record> out;
    for (const auto& w : effects_of<WriteRecord>(effects))
        out.push_back(w.record);
    return out;
}

std::pair<int, int> find_step(const Plan& plan, const std::string& id)
{
    for (std::size_t p = 0; p < plan.phases.size(); ++p)
        for (std::size_t s = 0; s < plan.phases[p].steps.size(); ++s)
            if (plan.phases[p].steps[s].id == id)
                return {static_cast<int>(p), static_cast<int>(s)};
    FAIL("no step " << id);
    return {};
}

std::vector<Record> finished_before(const NodeSetup& s, Role role, const std::string& id)
{
    std::vector<Record> journal{EpochRecord{1}};
    const auto target = find_step(s.plan, id);
    for (std::size_t p = 1; p < s.plan.phases.size(); ++p)
        for (std::size_t st = 0; st < s.plan.phases[p].steps.size(); ++st) {
            if (std::make_pair(static_cast<int>(p), static_cast<int>(st)) >= target)
                return journal;
            const Step& step = s.plan.phases[p].steps[st];
            if (runs_on(step, role) && step.when.kind == Condition::Kind::always && step.kind != StepKind::gate)
                journal.push_back(FinishedRecord{static_cast<int>(p), static_cast<int>(st), 0, Outcome::ok, 0, {}, {}, 0, 0});
        }
    return journal;
}

Envelope from_leader(Message m)
{
    return Envelope{"be1", std::move(m)};
}

Order order_for(std::pair<int, int> ref, std::uint32_t round, const std::string& archive)
{
    Order o{1, ref.first, ref.second, round, {}, 0, false};
    if (!archive.empty()) {
        o.archive_digest = archive_digest(archive);
        o.archive_size = archive.size();
    }
    return o;
}

StepResult result_of(std::pair<int, int> ref, std::uint32_t round, std::uint32_t attempt, Outcome outcome, std::string detail)
{
    return StepResult{ref.first, ref.second, round, attempt, {outcome, outcome == Outcome::ok ? 0 : 1, {}, std::move(detail)}};
}

std::vector<Report> reports_in(const std::vector<Effect>& effects)
{
    std::vector<Report> out;
    for (const auto& send : effects_of<Send>(effects))
        if (auto* r = std::get_if<Report>(&send.message))
            out.push_back(*r);
    return out;
}

std::vector<std::pair<std::string, Order>> orders_in(const std::vector<Effect>& effects)
{
    std::vector<std::pair<std::string, Order>> out;
    for (const auto& send : effects_of<Send>(effects))
        if (auto* o = std::get_if<Order>(&send.message))
            out.emplace_back(send.to, *o);
    return out;
}

std::set<std::string> missing_moves(const std::set<std::string>& all, const std::set<std::string>& taken)
{
    std::set<std::string> out;
    std::set_difference(all.begin(), all.end(), taken.begin(), taken.end(), std::inserter(out, out.begin()));
    return out;
}

StepOutcome healthy(const NodeSetup& s, const std::string& node, const Order& o)
{
    const Step& step = s.plan.phases[o.phase].steps[o.step];
    std::string value;
    if (step.kind == StepKind::check && step.check == Check::keepalived_status)
        value = node == "be1" ? "master" : "backup";
    else if (step.kind == StepKind::check && step.check == Check::migration_level)
        value = "1.0";
    return {Outcome::ok, 0, value, {}};
}

void Drive::run()
{
    for (int i = 0; i < 400; ++i) {
        now += 10;
        auto effects = leader.take_effects();
        seen.insert(seen.end(), effects.begin(), effects.end());
        bool acted = false;
        for (const auto& [to, o] : orders_in(effects)) {
            if (silent.count(to))
                continue;
            const StepOutcome end = o.skip ? StepOutcome{Outcome::skipped, 0, {}, {}} : answer(to, o);
            leader.on_message(Envelope{to, Report{o.epoch, o.phase, o.step, o.round, end, now, now}}, now);
            acted = true;
        }
        for (const auto& run : effects_of<RunStep>(effects)) {
            const StepOutcome end = answer(leader.name(), Order{1, run.phase, run.step, run.round, {}, 0, false});
            leader.on_step_finished(StepResult{run.phase, run.step, run.round, run.attempt, end}, now);
            acted = true;
        }
        for (const auto& pack : effects_of<PackArchive>(effects)) {
            leader.on_archive(pack.phase, pack.step, std::string("archive"), now);
            acted = true;
        }
        if (!acted)
            return;
    }
}

Presence hello_of(const NodeSetup& s)
{
    return Presence{0, s.plan.name, s.topology_digest, s.plan_digest, "pkg", "key", "test", 0, -1, false};
}

std::vector<std::string> kinds(const std::vector<Event>& events)
{
    std::vector<std::string> out;
    for (const auto& e : events)
        out.push_back(std::string(event_name(e.kind)) + " " + std::to_string(e.phase));
    return out;
}

}  // namespace chu::test
