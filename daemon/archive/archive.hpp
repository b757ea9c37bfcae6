// A directory copied from the bootstrap to the other nodes (/etc/opscode, /etc/<addon>): packed into a tar
// with libarchive, and installed on the receiving node with a backup and an atomic swap.
#pragma once

#include "core/result.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chu {

// Packs `dir` (its contents, names relative to it) into a pax tar in memory: owners, modes, mtimes and
// symlinks kept; regular files, directories and symlinks only (anything else is an error naming it).
// Entries are in sorted order so the same tree always packs to the same bytes.
Result<std::string> pack_directory(const std::string& dir);

// Installs `archive` as `dir`, all or nothing:
//  1. refuses the archive outright if any entry escapes (absolute path, "..", a hard link, a symlink
//     whose target leaves the directory, a device or fifo), naming the entry;
//  2. if `dir` exists, writes a tar of it to `backup` (fsynced) so the operator can restore it by hand;
//  3. unpacks into a new sibling directory "<dir>.chu-new", fsyncs it, then swaps it with `dir` in one
//     renameat2(RENAME_EXCHANGE) (RENAME_NOREPLACE when `dir` does not exist) and removes the old tree.
//     Without rename flags (Linux before 3.15, as RHEL 7's 3.10; filesystems without them) it renames
//     `dir` to "<dir>.chu-old", syncs the parent, renames "<dir>.chu-new" to `dir`, syncs it again and
//     removes "<dir>.chu-old"; each install first settles what a crash in there left: "<dir>.chu-old"
//     without `dir` is renamed back, beside `dir` it is removed (the install had finished).
// On any error `dir` is left exactly as it was and the message says what and where.
Status install_directory(const std::string& archive, const std::string& dir, const std::string& backup);

// A file of a support bundle (chef-ha-upgrade-ctl collect): made in memory, never read from disk here.
struct BundleFile {
    std::string name;  // relative, "/"-separated
    std::string data;
    std::int64_t mtime = 0;  // seconds since the epoch
};

// A pax tar of `files` in memory (regular files, mode 0600, owned by root), gzip-compressed when `gzip`.
Result<std::string> pack_files(const std::vector<BundleFile>& files, bool gzip);

// The regular files of a tar (or tar.gz) in memory, in order; anything else in it is an error naming the entry.
Result<std::vector<BundleFile>> unpack_files(std::string_view tar);

}  // namespace chu
