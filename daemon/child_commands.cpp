#include "child_commands.hpp"

#include "archive/archive.hpp"
#include "config/config_file.hpp"
#include "config/text_file.hpp"
#include "posix/posix.hpp"
#include "bundle/part.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace chu {

int pack_archive_command(const std::string& dir, const std::string& out)
{
    auto packed = pack_directory(dir);
    if (!packed) {
        std::fprintf(stderr, "%s\n", packed.error().message.c_str());
        return 1;
    }
    if (auto written = write_file_atomic(out, packed.value(), 0600); !written) {  // it holds the cluster's secrets
        std::fprintf(stderr, "%s\n", written.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "packed %s: %zu bytes\n", dir.c_str(), packed->size());
    return 0;
}

int support_part_command(const std::string& config_path, const std::string& self, const std::string& out)
{
    auto part = make_support_part(config_path, self);
    if (!part) {
        std::fprintf(stderr, "%s\n", part.error().message.c_str());
        return 1;
    }
    if (auto written = write_file_atomic(out, part.value(), 0600); !written) {
        std::fprintf(stderr, "%s\n", written.error().message.c_str());
        return 1;
    }
    return 0;
}

int install_archive_command(const std::string& config_path, const std::string& archive, const std::string& dir)
{
    auto config = load_config(config_path);
    if (!config) {
        std::fprintf(stderr, "%s\n", config.error().message.c_str());
        return 1;
    }
    auto bytes = read_text_file(archive);
    if (!bytes) {
        std::fprintf(stderr, "%s\n", bytes.error().message.c_str());
        return 1;
    }
    const std::string backups = config->paths.state_dir + "/backup";
    mkdir(backups.c_str(), 0700);
    std::string name = dir;
    for (auto& c : name)
        if (c == '/')
            c = '-';
    name = name.find_first_not_of('-') == std::string::npos ? "root" : name.substr(name.find_first_not_of('-'));
    std::string backup = backups + "/" + name + ".tar";
    if (access(backup.c_str(), F_OK) == 0)
        backup = backups + "/" + name + ".previous.tar";
    if (auto installed = install_directory(bytes.value(), dir, backup); !installed) {
        std::fprintf(stderr, "%s\n", installed.error().message.c_str());
        return 1;
    }
    std::fprintf(stderr, "installed the bootstrap's %s (%zu bytes); the old copy is in %s\n", dir.c_str(), bytes->size(),
                 backup.c_str());
    return 0;
}

}  // namespace chu
