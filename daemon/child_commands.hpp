// The daemon's own short-lived children: work that reads or writes much (packing or installing a directory,
// a support bundle's part) runs outside the event loop, under the same timeouts and logging as any step.
// The checks have a leaner program of their own (check_main.cpp).
#pragma once

#include <string>

namespace chu {

// --pack-archive DIR --out FILE
int pack_archive_command(const std::string& dir, const std::string& out);

// --install-archive FILE --dir DIR (the daemon gives /dev/stdin, the archive in memory): keeps the
// first backup of DIR (the one from before the upgrade) as <state_dir>/backup/<dir>.tar and later ones as
// <dir>.previous.tar.
int install_archive_command(const std::string& config_path, const std::string& archive, const std::string& dir);

// --support-part --out FILE: this node's part of a support bundle (bundle/part.hpp), written 0600.
int support_part_command(const std::string& config_path, const std::string& self, const std::string& out);

}  // namespace chu
