// apply_config_text on arbitrary text: /etc/chef-ha-upgrade/chef-ha-upgrade.conf and its drop-ins. Errors
// name the file and a line; text that applies once applies again over the result (drop-ins stack).
#include "config/config_file.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    chu::Config config;
    auto applied = chu::apply_config_text(text, "fuzz.conf", config);
    if (!applied) {
        CHU_FUZZ_CHECK(applied.error().message.rfind("fuzz.conf:", 0) == 0);
        return 0;
    }
    chu::Config again = config;
    CHU_FUZZ_CHECK(chu::apply_config_text(text, "fuzz.conf", again));
    return 0;
}
