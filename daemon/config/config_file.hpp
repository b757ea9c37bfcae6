// Reads /etc/chef-ha-upgrade/chef-ha-upgrade.conf and its conf.d/*.conf drop-ins into a Config.
#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

#include <string>

namespace chu {

// Applies one INI text over `config` (so later drop-ins override earlier files). An unknown section or
// key, or a value that does not parse, is an error naming `file` and the line.
Status apply_config_text(const std::string& text, const std::string& file, Config& config);

// Reads `path`, then every `conf.d/*.conf` in the directory beside it, in name order. A missing main file
// is an error; a missing conf.d is not.
Result<Config> load_config(const std::string& path);

}  // namespace chu
