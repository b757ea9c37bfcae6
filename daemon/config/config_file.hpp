// Reads /etc/chef-ha-upgrade/chef-ha-upgrade.conf and its conf.d/*.conf drop-ins into a Config.
#pragma once

#include "core/config.hpp"
#include "core/result.hpp"

#include <map>
#include <string>

namespace chu {

// Applies one INI text over `config` (so later drop-ins override earlier files). An unknown section or
// key, or a value that does not parse, is an error naming `file` and the line.
Status apply_config_text(const std::string& text, const std::string& file, Config& config);

// Where each setting was given last, as "file:line", by "section.key"; a default is not in it.
using ConfigOrigins = std::map<std::string, std::string>;

// Reads `path`, then every `conf.d/*.conf` in the directory beside it, in name order. A missing main file
// is an error; a missing conf.d is not. `origins`, when given, learns where each setting came from, so
// that a later check of a value can name its line.
Result<Config> load_config(const std::string& path, ConfigOrigins* origins = nullptr);

}  // namespace chu
