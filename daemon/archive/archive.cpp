#include "archive/archive.hpp"

#include "config/text_file.hpp"
#include "posix/posix.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace fs = std::filesystem;

namespace chu {

namespace {

struct ReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;
using WriteArchive = std::unique_ptr<archive, WriteFree>;
using Entry = std::unique_ptr<archive_entry, EntryFree>;

std::string why(archive* a)
{
    const char* text = archive_error_string(a);
    return text ? text : "libarchive gives no detail";
}

Error io_error(const std::string& path, const std::string& what)
{
    return Error{path + ": " + what + ": " + std::strerror(errno)};
}

const char* kind_of(mode_t type)
{
    switch (type) {
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "socket";
    case S_IFCHR: return "character device";
    case S_IFBLK: return "block device";
    default: return "special file";
    }
}

// ---- packing ----

la_ssize_t append_to_string(archive*, void* out, const void* buffer, size_t size)
{
    static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
}

// Every name under `top`, relative to it; directories are walked, symlinks are not followed.
Status list_tree(const fs::path& top, const fs::path& rel, std::vector<std::string>& names)
{
    std::error_code ec;
    for (fs::directory_iterator it(top / rel, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path name = rel / it->path().filename();
        names.push_back(name.string());
        const bool is_dir = it->symlink_status(ec).type() == fs::file_type::directory;
        if (!ec && is_dir) {
            Status below = list_tree(top, name, names);
            if (!below)
                return below;
        }
    }
    if (ec)
        return Error{(top / rel).string() + ": cannot list: " + ec.message()};
    return Ok{};
}

Status write_file_data(archive* out, const std::string& path, int fd, std::int64_t size)
{
    std::vector<char> buffer(64 * 1024);
    std::int64_t total = 0;
    for (;;) {
        const ssize_t n = read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return io_error(path, "cannot read");
        if (n == 0)
            break;
        total += n;
        if (total > size)
            break;
        if (archive_write_data(out, buffer.data(), static_cast<size_t>(n)) != n)
            return Error{path + ": cannot pack: " + why(out)};
    }
    if (total != size)
        return Error{path + ": changed size while being packed; stop whatever writes to it, then retry"};
    return Ok{};
}

Status pack_entry(archive* out, archive_entry* entry, const std::string& dir, const std::string& name)
{
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0)
        return io_error(path, "cannot read");
    archive_entry_clear(entry);
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_perm(entry, st.st_mode & 07777);
    archive_entry_set_uid(entry, st.st_uid);
    archive_entry_set_gid(entry, st.st_gid);
    // Names as well as ids: the opscode user may have a different uid on the receiving node.
    if (const passwd* user = getpwuid(st.st_uid))
        archive_entry_set_uname(entry, user->pw_name);
    if (const group* grp = getgrgid(st.st_gid))
        archive_entry_set_gname(entry, grp->gr_name);
    archive_entry_set_mtime(entry, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

    if (S_ISDIR(st.st_mode)) {
        archive_entry_set_filetype(entry, AE_IFDIR);
    } else if (S_ISLNK(st.st_mode)) {
        std::string target(PATH_MAX, '\0');
        const ssize_t n = readlink(path.c_str(), target.data(), target.size());
        if (n < 0)
            return io_error(path, "cannot read the symlink");
        if (static_cast<size_t>(n) >= target.size())
            return Error{path + ": changed while being packed; retry"};
        target.resize(static_cast<size_t>(n));
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, target.c_str());
    } else if (S_ISREG(st.st_mode)) {
        Fd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd.get() < 0)
            return io_error(path, "cannot read");
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, st.st_size);
        if (archive_write_header(out, entry) != ARCHIVE_OK)
            return Error{path + ": cannot pack: " + why(out)};
        return write_file_data(out, path, fd.get(), st.st_size);
    } else {
        return Error{path + ": is a " + kind_of(st.st_mode & S_IFMT) +
                     "; only regular files, directories and symlinks can be copied: move it out of " + dir};
    }
    if (archive_write_header(out, entry) != ARCHIVE_OK)
        return Error{path + ": cannot pack: " + why(out)};
    return Ok{};
}

// ---- checking an archive before anything is written ----

std::vector<std::string> components(const std::string& path)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos)
            end = path.size();
        std::string part = path.substr(start, end - start);
        if (!part.empty() && part != ".")
            parts.push_back(std::move(part));
        start = end + 1;
    }
    return parts;
}

std::string joined(const std::vector<std::string>& parts)
{
    std::string out;
    for (const std::string& part : parts)
        out += (out.empty() ? "" : "/") + part;
    return out;
}

// The archive's tree: name (normalised) -> symlink target, or nothing for files and directories.
using Tree = std::map<std::string, std::optional<std::string>>;

// Where `target`, read in the directory `at` (components below the top), lands once the tree is on disk,
// following the archive's own symlinks as the kernel would; nothing when it leaves the top or loops.
std::optional<std::vector<std::string>> resolve(const Tree& tree, std::vector<std::string> at, const std::string& target,
                                                const std::vector<std::string>& top, int& hops)
{
    std::vector<std::string> rest = components(target);
    if (!target.empty() && target[0] == '/') {
        if (rest.size() < top.size() || !std::equal(top.begin(), top.end(), rest.begin()))
            return std::nullopt;
        rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(top.size()));
        at.clear();
    }
    for (const std::string& part : rest) {
        if (part == "..") {
            if (at.empty())
                return std::nullopt;
            at.pop_back();
            continue;
        }
        at.push_back(part);
        const auto link = tree.find(joined(at));
        if (link == tree.end() || !link->second)
            continue;
        at.pop_back();
        if (++hops > 40)  // the kernel's own limit: deeper means a loop
            return std::nullopt;
        auto next = resolve(tree, at, *link->second, top, hops);
        if (!next)
            return std::nullopt;
        at = std::move(*next);
    }
    return at;
}

// Refuses, naming the entry, anything that would write or point outside `dir` once unpacked.
Status check_entries(const std::string& data, const fs::path& dir)
{
    ReadArchive in(archive_read_new());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_memory(in.get(), data.data(), data.size()) != ARCHIVE_OK)
        return Error{dir.string() + ": the copy received is not a tar archive: " + why(in.get())};

    auto refuse = [&](const std::string& name, const std::string& what) {
        return Error{dir.string() + ": refusing the copy received: entry \"" + name + "\" " + what +
                     "; nothing was changed; fix or remove that entry on the node that sent it"};
    };
    Tree tree;
    archive_entry* entry = nullptr;
    int r;
    while ((r = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        const char* raw = archive_entry_pathname(entry);
        const std::string name = raw ? raw : "";
        const std::vector<std::string> parts = components(name);
        const mode_t type = archive_entry_filetype(entry);
        if (name.empty() || parts.empty())
            return refuse(name, "has no name below the directory");
        if (name[0] == '/')
            return refuse(name, "is an absolute path");
        if (std::find(parts.begin(), parts.end(), "..") != parts.end())
            return refuse(name, "climbs out with \"..\"");
        if (archive_entry_hardlink(entry))
            return refuse(name, "is a hard link");
        if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
            return refuse(name, std::string("is a ") + kind_of(type));
        std::optional<std::string> target;
        if (type == AE_IFLNK) {
            const char* link = archive_entry_symlink(entry);
            target = link ? link : "";
        }
        if (!tree.emplace(joined(parts), target).second)
            return refuse(name, "appears twice");
    }
    if (r != ARCHIVE_EOF)
        return Error{dir.string() + ": the copy received is truncated or corrupt (" + why(in.get()) +
                     "); nothing was changed: retry to have it sent again"};

    // Symlinks once the whole tree is known: a target may pass through other symlinks of the archive.
    const std::vector<std::string> top = components(dir.string());
    for (const auto& [name, target] : tree) {
        std::vector<std::string> parent = components(name);
        parent.pop_back();
        for (size_t n = 1; n <= parent.size(); ++n) {
            const std::vector<std::string> prefix(parent.begin(), parent.begin() + static_cast<std::ptrdiff_t>(n));
            const auto above = tree.find(joined(prefix));
            if (above != tree.end() && above->second)
                return refuse(name, "lies under the symlink \"" + above->first + "\"");
        }
        int hops = 0;
        if (target && !resolve(tree, parent, *target, top, hops))
            return refuse(name, "is a symlink to \"" + *target + "\", outside the directory");
    }
    return Ok{};
}

// ---- installing ----

// The backup is written beside its final name and renamed, so an interrupted write never replaces an
// older good backup with half a tar.
Status write_backup(const fs::path& dir, const std::string& backup)
{
    auto tar = pack_directory(dir.string());
    if (!tar)
        return Error{tar.error().message + " (while backing up " + dir.string() + " before replacing it)"};
    if (auto written = write_file_atomic(backup, tar.value(), 0600); !written)
        return Error{"cannot back up " + dir.string() + " to " + backup + ": " + written.error().message +
                     "; nothing was changed: create " + parent_of(backup) + " or make room in it, then retry"};
    return Ok{};
}

Status extract(const std::string& data, const std::string& fresh)
{
    ReadArchive in(archive_read_new());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_memory(in.get(), data.data(), data.size()) != ARCHIVE_OK)
        return Error{fresh + ": cannot read the copy: " + why(in.get())};
    WriteArchive out(archive_write_disk_new());
    // The secure flags repeat check_entries' rules inside libarchive, in case one slips past it.
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
    if (geteuid() == 0)
        flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(out.get(), flags);
    archive_write_disk_set_standard_lookup(out.get());  // owner names map to this node's ids

    archive_entry* entry = nullptr;
    int r;
    while ((r = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        const std::string where = fresh + "/" + archive_entry_pathname(entry);
        if (archive_write_header(out.get(), entry) != ARCHIVE_OK)
            return Error{where + ": cannot unpack: " + why(out.get())};
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        while ((r = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
            if (archive_write_data_block(out.get(), block, size, offset) != ARCHIVE_OK)
                return Error{where + ": cannot unpack: " + why(out.get())};
        }
        if (r != ARCHIVE_EOF)
            return Error{where + ": cannot read from the copy: " + why(in.get())};
        if (archive_write_finish_entry(out.get()) != ARCHIVE_OK)
            return Error{where + ": cannot unpack: " + why(out.get())};
    }
    if (r != ARCHIVE_EOF)
        return Error{fresh + ": cannot read the copy: " + why(in.get())};
    // Directories get their modes and times here, after everything inside them is written.
    if (archive_write_close(out.get()) != ARCHIVE_OK)
        return Error{fresh + ": cannot set modes and times: " + why(out.get())};
    return Ok{};
}

// archive_write_disk resolves names against the working directory, and SECURE_NOABSOLUTEPATHS needs
// relative names, so the unpacking happens inside `fresh`. This runs in a short-lived child of the daemon.
Status unpack_in(const std::string& data, const std::string& fresh)
{
    Fd back(open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (back.get() < 0)
        return io_error(".", "cannot note the working directory");
    if (chdir(fresh.c_str()) != 0)
        return io_error(fresh, "cannot enter");
    Status st = extract(data, fresh);
    if (fchdir(back.get()) != 0 && st)
        st = io_error(".", "cannot return to the working directory");
    return st;
}

// Files and directories reach the disk before the swap makes them live.
Status sync_tree(const std::string& top)
{
    std::error_code ec;
    for (fs::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::file_type type = it->symlink_status(ec).type();
        if (ec)
            break;
        if (type == fs::file_type::regular || type == fs::file_type::directory) {
            Status st = sync_path(it->path().string(), type == fs::file_type::directory);
            if (!st)
                return st;
        }
    }
    if (ec)
        return Error{top + ": cannot walk to sync it: " + ec.message()};
    return sync_path(top, true);
}

// Builds the new tree at `fresh`: unpacked, topped with the old directory's mode and owner, synced.
Status build_tree(const std::string& data, const std::string& fresh, const struct stat* old)
{
    // 0700 until the end: secrets inside are never readable through a looser parent mid-unpack.
    if (mkdir(fresh.c_str(), 0700) != 0)
        return io_error(fresh, "cannot create");
    Status st = unpack_in(data, fresh);
    if (!st)
        return st;
    if (old && geteuid() == 0 && chown(fresh.c_str(), old->st_uid, old->st_gid) != 0)
        return io_error(fresh, "cannot set the owner");
    if (chmod(fresh.c_str(), old ? old->st_mode & 07777 : 0755) != 0)
        return io_error(fresh, "cannot set the mode");
    return sync_tree(fresh);
}

// A swap interrupted between the two renames of swap_in's fallback is settled at the start of the next
// install: "<dir>" missing beside "<dir>.chu-old" means only the first rename happened, so the old tree
// goes back; both present means the second one happened too, and "<dir>.chu-old" is the previous tree
// (already in the backup) that was not yet removed.
Status recover_swap(const std::string& path)
{
    const std::string old = path + ".chu-old";
    struct stat st {};
    if (lstat(old.c_str(), &st) != 0)
        return errno == ENOENT ? Status(Ok{}) : io_error(old, "cannot read");
    if (lstat(path.c_str(), &st) == 0) {
        std::error_code ec;
        fs::remove_all(old, ec);
        if (ec)
            return Error{old + ": cannot remove the previous tree an interrupted install left: " + ec.message() +
                         "; remove it by hand, then retry"};
        return Ok{};
    }
    if (errno != ENOENT)
        return io_error(path, "cannot read");
    if (rename(old.c_str(), path.c_str()) != 0)
        return io_error(old, "cannot rename it back to " + path + " after an interrupted install; do that by hand, then retry");
    return sync_path(parent_of(path), true);
}

// Makes `fresh` live as `path` in one renameat2 (Linux 3.15). Where the kernel or the filesystem has no
// rename flags (RHEL 7's 3.10: ENOSYS; some filesystems: EINVAL), two renames park the old tree at
// "<path>.chu-old" with the parent synced in between, so recover_swap can settle a crash at any point.
Status swap_in(const std::string& fresh, const std::string& path, bool exists)
{
    const unsigned flags = exists ? RENAME_EXCHANGE : RENAME_NOREPLACE;
    if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, path.c_str(), flags) == 0)
        return Ok{};
    if (errno != ENOSYS && errno != EINVAL)
        return io_error(path, exists ? "cannot swap in " + fresh : "cannot rename " + fresh + " to it");
    if (!exists) {  // a plain rename replaces at most an empty directory: nothing can be lost
        if (rename(fresh.c_str(), path.c_str()) != 0)
            return io_error(path, "cannot rename " + fresh + " to it");
        return Ok{};
    }
    const std::string old = path + ".chu-old";
    if (rename(path.c_str(), old.c_str()) != 0)
        return io_error(path, "cannot move it aside to " + old);
    Status st = sync_path(parent_of(path), true);
    if (st && rename(fresh.c_str(), path.c_str()) != 0)
        st = io_error(path, "cannot rename " + fresh + " to it");
    if (!st && rename(old.c_str(), path.c_str()) != 0)
        return Error{st.error().message + "; and " + old +
                     " cannot be renamed back: the next install does it, or rename it by hand"};
    return st;
}

}  // namespace

Result<std::string> pack_directory(const std::string& dir)
{
    std::vector<std::string> names;
    Status listed = list_tree(dir, {}, names);
    if (!listed)
        return listed.error();
    // Byte order puts every directory before what it holds, and makes the bytes reproducible.
    std::sort(names.begin(), names.end());

    std::string tar;
    WriteArchive out(archive_write_new());
    Entry entry(archive_entry_new());
    if (archive_write_set_format_pax(out.get()) != ARCHIVE_OK ||
        archive_write_open(out.get(), &tar, nullptr, append_to_string, nullptr) != ARCHIVE_OK)
        return Error{dir + ": cannot start the archive: " + why(out.get())};
    for (const std::string& name : names) {
        Status st = pack_entry(out.get(), entry.get(), dir, name);
        if (!st)
            return st.error();
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK)
        return Error{dir + ": cannot finish the archive: " + why(out.get())};
    return tar;
}

Status install_directory(const std::string& archive, const std::string& dir, const std::string& backup)
{
    std::error_code ec;
    fs::path target = fs::absolute(dir, ec).lexically_normal();
    if (ec)
        return Error{dir + ": cannot resolve the path: " + ec.message()};
    if (!target.has_filename())  // "/etc/opscode/" names /etc/opscode
        target = target.parent_path();
    const std::string path = target.string();

    Status st = recover_swap(path);
    if (st)
        st = check_entries(archive, target);
    if (!st)
        return st;

    struct stat old {};
    const bool exists = lstat(path.c_str(), &old) == 0;
    if (!exists && errno != ENOENT)
        return io_error(path, "cannot read");
    if (exists && !S_ISDIR(old.st_mode))
        return Error{path + ": is not a directory (a symlink or a file); make it the real directory, then retry"};
    if (exists) {
        st = write_backup(target, backup);
        if (!st)
            return st;
    }

    const std::string fresh = path + ".chu-new";
    fs::remove_all(fresh, ec);  // a stale tree from an interrupted install
    if (ec)
        return Error{fresh + ": cannot remove the stale tree: " + ec.message() + "; remove it by hand, then retry"};
    st = build_tree(archive, fresh, exists ? &old : nullptr);
    if (st)
        st = swap_in(fresh, path, exists);
    if (!st) {
        fs::remove_all(fresh, ec);
        return st;
    }

    // The swap is done: what follows cannot undo the install, only fail to tidy up after it. The previous
    // tree is at `fresh` after an exchange, at "<dir>.chu-old" after the fallback's two renames.
    const Status synced = sync_path(parent_of(path), true);
    if (!synced)
        return Error{path + ": installed, but " + synced.error().message};
    std::error_code removed;
    for (const std::string& previous : {fresh, path + ".chu-old"})
        if (!removed)
            fs::remove_all(previous, removed);
    if (removed)
        return Error{path + ": installed, but the previous tree beside it cannot be removed: " + removed.message() + "; remove " +
                     fresh + " or " + path + ".chu-old by hand"};
    return Ok{};
}

Result<std::vector<BundleFile>> unpack_files(std::string_view tar)
{
    ReadArchive in(archive_read_new());
    archive_read_support_format_tar(in.get());
    archive_read_support_filter_gzip(in.get());
    if (archive_read_open_memory(in.get(), tar.data(), tar.size()) != ARCHIVE_OK)
        return Error{"not a tar archive: " + why(in.get())};
    std::vector<BundleFile> files;
    archive_entry* entry = nullptr;
    int r;
    while ((r = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        const char* name = archive_entry_pathname(entry);
        if (!name || archive_entry_filetype(entry) != AE_IFREG)
            return Error{std::string("entry \"") + (name ? name : "") + "\" is not a regular file"};
        BundleFile f{name, std::string(static_cast<std::size_t>(std::max<la_int64_t>(0, archive_entry_size(entry))), '\0'),
                     archive_entry_mtime(entry)};
        if (!f.data.empty() &&
            archive_read_data(in.get(), f.data.data(), f.data.size()) != static_cast<la_ssize_t>(f.data.size()))
            return Error{"entry \"" + f.name + "\" is cut short: " + why(in.get())};
        files.push_back(std::move(f));
    }
    if (r != ARCHIVE_EOF)
        return Error{"cannot read the archive: " + why(in.get())};
    return files;
}

Result<std::string> pack_files(const std::vector<BundleFile>& files, bool gzip)
{
    std::string tar;
    WriteArchive out(archive_write_new());
    Entry entry(archive_entry_new());
    if (archive_write_set_format_pax(out.get()) != ARCHIVE_OK ||
        (gzip && archive_write_add_filter_gzip(out.get()) != ARCHIVE_OK) ||
        archive_write_open(out.get(), &tar, nullptr, append_to_string, nullptr) != ARCHIVE_OK)
        return Error{"cannot start the archive: " + why(out.get())};
    for (const BundleFile& f : files) {
        archive_entry_clear(entry.get());
        archive_entry_set_pathname(entry.get(), f.name.c_str());
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0600);
        archive_entry_set_size(entry.get(), static_cast<la_int64_t>(f.data.size()));
        archive_entry_set_mtime(entry.get(), f.mtime, 0);
        if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK ||
            (!f.data.empty() && archive_write_data(out.get(), f.data.data(), f.data.size()) < 0))
            return Error{f.name + ": cannot add it to the archive: " + why(out.get())};
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK)
        return Error{"cannot finish the archive: " + why(out.get())};
    return tar;
}

}  // namespace chu
