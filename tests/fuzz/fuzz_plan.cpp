// parse_plan_text on arbitrary text: a plan file under /usr/share/chef-ha-upgrade/plans, or one an
// operator points [upgrade] plan at. Errors name the file; a plan it accepts can be scheduled for every
// role and package format without crashing (the refusals there are the schedule's own messages).
#include "config/plan_file.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto plan = chu::parse_plan_text(text, "fuzz.plan");
    if (!plan) {
        CHU_FUZZ_CHECK(plan.error().message.rfind("fuzz.plan", 0) == 0);
        return 0;
    }
    chu::Config config;
    auto effective = chu::effective_plan(plan.value(), config);
    if (!effective)
        return 0;
    CHU_FUZZ_CHECK(!effective->phases.empty());
    CHU_FUZZ_CHECK(chu::plan_digest(effective.value()) == chu::plan_digest(effective.value()));
    for (const auto format : {chu::PackageFormat::deb, chu::PackageFormat::rpm}) {
        const chu::NodeFacts facts{"/usr/bin/private-chef-ctl", format == chu::PackageFormat::deb ? "/srv/p.deb" : "/srv/p.rpm",
                                   format};
        for (const auto role : {chu::Role::bootstrap, chu::Role::secondary, chu::Role::frontend}) {
            auto schedule = chu::node_schedule(effective.value(), role, config, facts);
            if (schedule)
                for (const auto& item : schedule.value())
                    (void)chu::describe(item.action);
        }
    }
    return 0;
}
