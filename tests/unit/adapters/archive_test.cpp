// Packing a directory and installing it on another node: faithful, reproducible, all or nothing, and
// never writing or pointing outside the directory.
#include "archive/archive.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

namespace {

using chu::test::read_file;
using chu::test::TempDir;
using chu::test::write_file;

bool is_root()
{
    return geteuid() == 0;
}

void make_dir(const fs::path& path, mode_t mode)
{
    REQUIRE(mkdir(path.c_str(), 0700) == 0);
    REQUIRE(chmod(path.c_str(), mode) == 0);
}

void set_mtime(const fs::path& path, time_t seconds)
{
    const timespec times[2] = {{seconds, 0}, {seconds, 123456789}};
    REQUIRE(utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

void set_owner(const fs::path& path, uid_t uid, gid_t gid)
{
    if (is_root())
        REQUIRE(lchown(path.c_str(), uid, gid) == 0);
}

// Everything install_directory promises to keep, one line per entry in name order, so two trees compare
// (and differ readably) as strings.
std::string listing(const fs::path& dir)
{
    std::vector<fs::path> names;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        names.push_back(entry.path().lexically_relative(dir));
    std::sort(names.begin(), names.end());
    std::ostringstream out;
    for (const fs::path& name : names) {
        const fs::path path = dir / name;
        struct stat st {};
        REQUIRE(lstat(path.c_str(), &st) == 0);
        out << name.string() << " mode=" << std::oct << (st.st_mode & 07777) << std::dec << " owner=" << st.st_uid << ":"
            << st.st_gid << " mtime=" << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec;
        if (S_ISLNK(st.st_mode))
            out << " -> " << fs::read_symlink(path).string();
        else if (S_ISREG(st.st_mode))
            out << " = " << read_file(path);
        else if (S_ISDIR(st.st_mode))
            out << " (dir)";
        out << "\n";
    }
    return out.str();
}

// The shape of /etc/opscode on a Chef Server backend: secrets 0600, config 0644, a nested tree, an
// executable, the chef-server.rb symlink Chef Server 12 leaves, and a relative link to a parent file.
void make_opscode_tree(const fs::path& dir, const std::string& flavour = "old")
{
    make_dir(dir, 0755);
    write_file(dir / "private-chef.rb", "topology \"ha\"\n# " + flavour + "\n", 0644);
    write_file(dir / "private-chef-secrets.json", "{\"postgresql\": {\"sql_password\": \"" + flavour + "\"}}\n", 0600);
    write_file(dir / "pivotal.pem", "-----BEGIN RSA PRIVATE KEY-----\n" + flavour + "\n", 0600);
    make_dir(dir / "keepalived", 0750);
    make_dir(dir / "keepalived" / "bin", 0755);
    write_file(dir / "keepalived" / "bin" / "cluster.sh", "#!/bin/sh\nexit 0\n", 0755);
    write_file(dir / "keepalived" / "keepalived.conf", "vrrp_instance chef {}\n", 0640);
    REQUIRE(symlink("private-chef.rb", (dir / "chef-server.rb").c_str()) == 0);
    REQUIRE(symlink("../../pivotal.pem", (dir / "keepalived" / "bin" / "pivotal.pem").c_str()) == 0);
    set_owner(dir / "private-chef-secrets.json", 0, 0);
    set_owner(dir / "pivotal.pem", 4242, 4343);  // ids without a user or group: kept as numbers
    set_owner(dir / "keepalived", 1, 1);
    set_owner(dir / "chef-server.rb", 2, 2);
    // Last, because creating an entry changes its directory's mtime.
    for (const char* name :
         {"keepalived/bin/cluster.sh", "keepalived/bin/pivotal.pem", "keepalived/bin", "keepalived/keepalived.conf", "keepalived",
          "private-chef.rb", "private-chef-secrets.json", "pivotal.pem", "chef-server.rb"})
        set_mtime(dir / name, 1400000000);
}

la_ssize_t append(archive*, void* out, const void* buffer, size_t size)
{
    static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), size);
    return static_cast<la_ssize_t>(size);
}

// One entry of a hand-made archive: what a compromised or buggy sender could put in a tar.
struct Item {
    std::string name;
    mode_t type;
    std::string data;      // regular file content
    std::string link;      // symlink target
    std::string hardlink;  // when set, a hard link to this name
};

Item file(const std::string& name, const std::string& data)
{
    return {name, AE_IFREG, data, "", ""};
}
Item directory(const std::string& name)
{
    return {name, AE_IFDIR, "", "", ""};
}
Item symlink_to(const std::string& name, const std::string& target)
{
    return {name, AE_IFLNK, "", target, ""};
}
Item hardlink_to(const std::string& name, const std::string& target)
{
    return {name, AE_IFREG, "", "", target};
}
Item special(const std::string& name, mode_t type)
{
    return {name, type, "", "", ""};
}

std::string tar_of(const std::vector<Item>& items)
{
    std::string out;
    std::unique_ptr<archive, int (*)(archive*)> a(archive_write_new(), archive_write_free);
    REQUIRE(archive_write_set_format_pax(a.get()) == ARCHIVE_OK);
    REQUIRE(archive_write_open(a.get(), &out, nullptr, append, nullptr) == ARCHIVE_OK);
    for (const Item& item : items) {
        std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
        archive_entry_set_pathname(e.get(), item.name.c_str());
        archive_entry_set_filetype(e.get(), item.type);
        archive_entry_set_perm(e.get(), 0644);
        if (!item.hardlink.empty())
            archive_entry_set_hardlink(e.get(), item.hardlink.c_str());
        if (item.type == AE_IFLNK)
            archive_entry_set_symlink(e.get(), item.link.c_str());
        if (item.type == AE_IFREG && item.hardlink.empty())
            archive_entry_set_size(e.get(), static_cast<la_int64_t>(item.data.size()));
        REQUIRE(archive_write_header(a.get(), e.get()) == ARCHIVE_OK);
        if (!item.data.empty())
            REQUIRE(archive_write_data(a.get(), item.data.data(), item.data.size()) == static_cast<la_ssize_t>(item.data.size()));
    }
    REQUIRE(archive_write_close(a.get()) == ARCHIVE_OK);
    return out;
}

std::string packed(const fs::path& dir)
{
    chu::Result<std::string> tar = chu::pack_directory(dir.string());
    if (!tar)
        FAIL(tar.error().message);
    return tar.value();
}

void install(const std::string& tar, const fs::path& dir, const fs::path& backup)
{
    const chu::Status status = chu::install_directory(tar, dir.string(), backup.string());
    if (!status)
        FAIL(status.error().message);
}

fs::path staging(const fs::path& dir)
{
    return dir.string() + ".chu-new";
}

// Where the two-rename swap (kernels without renameat2) parks the old tree.
fs::path parked(const fs::path& dir)
{
    return dir.string() + ".chu-old";
}

// Where a crash can stop that swap, in the order the install passes them.
enum class Crash { before_renames, between_renames, before_removal };

// The disk as an install of the "new" tree over the "old" one leaves it when stopped at `at`: the backup
// written and "<dir>.chu-new" built (both come before any rename), then the renames done so far.
void crashed_install(const fs::path& dir, const fs::path& backup, Crash at)
{
    make_opscode_tree(dir, "old");
    write_file(backup, packed(dir), 0600);
    make_opscode_tree(staging(dir), "new");
    if (at == Crash::before_renames)
        return;
    fs::rename(dir, parked(dir));
    if (at == Crash::between_renames)
        return;
    fs::rename(staging(dir), dir);
}

}  // namespace

TEST_CASE("a packed /etc/opscode archive installs elsewhere with the same files, modes, mtimes, symlinks and owners", "[archive]")
{
    TempDir tmp;
    make_opscode_tree(tmp.path() / "bootstrap");
    const fs::path copy = tmp.path() / "frontend" / "opscode";
    fs::create_directory(tmp.path() / "frontend");

    install(packed(tmp.path() / "bootstrap"), copy, tmp.path() / "backup.tar");

    CHECK(listing(copy) == listing(tmp.path() / "bootstrap"));
    CHECK(fs::read_symlink(copy / "chef-server.rb") == "private-chef.rb");
    CHECK(read_file(copy / "keepalived" / "bin" / "pivotal.pem") == read_file(copy / "pivotal.pem"));
    struct stat st {};
    REQUIRE(stat((copy / "private-chef-secrets.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    REQUIRE(stat((copy / "keepalived" / "bin" / "cluster.sh").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0755);
    if (is_root()) {
        REQUIRE(stat((copy / "pivotal.pem").c_str(), &st) == 0);
        CHECK(st.st_uid == 4242);
        CHECK(st.st_gid == 4343);
    }
}

TEST_CASE("installing an archive into a directory that does not exist creates it, mode 0755, and writes no backup", "[archive]")
{
    TempDir tmp;
    make_opscode_tree(tmp.path() / "bootstrap");
    const fs::path dir = tmp.path() / "opscode";

    install(packed(tmp.path() / "bootstrap"), dir, tmp.path() / "backup.tar");

    CHECK(listing(dir) == listing(tmp.path() / "bootstrap"));
    CHECK((fs::status(dir).permissions() & fs::perms::mask) == static_cast<fs::perms>(0755));
    CHECK_FALSE(fs::exists(tmp.path() / "backup.tar"));
    CHECK_FALSE(fs::exists(staging(dir)));
}

TEST_CASE("the same tree packs to the same archive bytes, whatever order its files were created in", "[archive]")
{
    TempDir tmp;
    const fs::path one = tmp.path() / "one", two = tmp.path() / "two";
    make_dir(one, 0755);
    make_dir(two, 0755);
    const std::vector<std::string> names = {"b.pem", "a.json", "c/d.rb", "c/a.rb", "c-d", "c"};
    auto create = [](const fs::path& dir, const std::string& name) {
        if (name == "c")
            fs::create_directories(dir / "c");
        else
            write_file(dir / name, "content of " + name, 0640);
    };
    for (auto it = names.rbegin(); it != names.rend(); ++it)  // "c" before what goes in it
        create(one, *it);
    create(two, "c");
    for (const std::string& name : names)
        if (name != "c")
            create(two, name);
    for (const fs::path& dir : {one, two}) {
        for (const std::string& name : names)
            if (name != "c")
                set_mtime(dir / name, 1500000000);
        set_mtime(dir / "c", 1500000000);
    }

    const std::string first = packed(one);
    CHECK(packed(one) == first);
    CHECK(packed(two) == first);
}

TEST_CASE("installing an archive over a directory swaps the new tree in, removes the old one and keeps a backup that "
          "restores it",
          "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode", backup = tmp.path() / "opscode-backup.tar";
    make_opscode_tree(dir, "old");
    write_file(dir / "only-in-old.json", "{}", 0600);
    make_opscode_tree(tmp.path() / "bootstrap", "new");
    const std::string old_listing = listing(dir);

    install(packed(tmp.path() / "bootstrap"), dir, backup);

    CHECK(listing(dir) == listing(tmp.path() / "bootstrap"));
    CHECK_FALSE(fs::exists(dir / "only-in-old.json"));
    CHECK_FALSE(fs::exists(staging(dir)));
    REQUIRE(fs::is_regular_file(backup));
    CHECK((fs::status(backup).permissions() & fs::perms::mask) == static_cast<fs::perms>(0600));

    const fs::path restored = tmp.path() / "restored";
    install(read_file(backup), restored, tmp.path() / "unused.tar");
    CHECK(listing(restored) == old_listing);
}

TEST_CASE("a stale .chu-new tree from an interrupted archive install is cleared before unpacking", "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode";
    make_opscode_tree(dir);
    make_dir(staging(dir), 0755);
    write_file(staging(dir) / "half-written.pem", "junk", 0600);
    make_opscode_tree(tmp.path() / "bootstrap", "new");

    install(packed(tmp.path() / "bootstrap"), dir, tmp.path() / "backup.tar");

    CHECK(listing(dir) == listing(tmp.path() / "bootstrap"));
    CHECK_FALSE(fs::exists(staging(dir)));
}

TEST_CASE("an install interrupted anywhere in the two-rename swap of kernels without renameat2 is settled by the next "
          "one, which installs the new tree and loses nothing",
          "[archive]")
{
    const std::vector<std::pair<const char*, Crash>> crashes = {
        {"before the first rename", Crash::before_renames},
        {"between the renames: the directory is missing", Crash::between_renames},
        {"after the second rename, before the old tree is removed", Crash::before_removal},
    };
    for (const auto& [what, at] : crashes) {
        DYNAMIC_SECTION(what)
        {
            TempDir tmp;
            const fs::path dir = tmp.path() / "opscode", backup = tmp.path() / "backup.tar";
            make_opscode_tree(tmp.path() / "old", "old");
            make_opscode_tree(tmp.path() / "bootstrap", "new");
            crashed_install(dir, backup, at);

            install(packed(tmp.path() / "bootstrap"), dir, backup);

            CHECK(listing(dir) == listing(tmp.path() / "bootstrap"));
            CHECK_FALSE(fs::exists(staging(dir)));
            CHECK_FALSE(fs::exists(parked(dir)));
            // The tree the re-run replaced is in the backup: the old one, or the new one when the crashed
            // install had already made it live (the old one was backed up then, as after any re-run).
            const fs::path restored = tmp.path() / "restored";
            install(read_file(backup), restored, tmp.path() / "unused.tar");
            CHECK(listing(restored) == listing(tmp.path() / (at == Crash::before_removal ? "bootstrap" : "old")));
        }
    }
}

TEST_CASE("a refused archive still puts back the directory an install interrupted between its two renames took away", "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode";
    make_opscode_tree(tmp.path() / "old", "old");
    crashed_install(dir, tmp.path() / "backup.tar", Crash::between_renames);

    const chu::Status status =
        chu::install_directory(tar_of({file("../x", "owned")}), dir.string(), (tmp.path() / "backup.tar").string());

    REQUIRE_FALSE(status);
    CHECK(listing(dir) == listing(tmp.path() / "old"));
    CHECK_FALSE(fs::exists(parked(dir)));
}

TEST_CASE("an archive with any kind of entry escaping the directory is refused by name and nothing is changed", "[archive]")
{
    struct Case {
        const char* what;
        std::vector<Item> items;
        std::string entry;  // the message names it
    };
    const std::vector<Case> cases = {
        {"a name climbing out", {file("../x", "owned")}, "../x"},
        {"an absolute name", {file("/etc/x", "owned")}, "/etc/x"},
        {"a name climbing out from below", {directory("a"), file("a/../../x", "owned")}, "a/../../x"},
        {"a hard link", {file("secrets.json", "{}"), hardlink_to("copy", "secrets.json")}, "copy"},
        {"a symlink to /etc", {symlink_to("etc", "/etc")}, "etc"},
        {"a relative symlink climbing out", {directory("sub"), symlink_to("sub/x", "../../x")}, "sub/x"},
        {"a symlink climbing out through another symlink", {symlink_to("here", "."), symlink_to("out", "here/here/..")}, "out"},
        {"a file written through a symlink", {symlink_to("sub", "."), file("sub/x", "owned")}, "sub/x"},
        {"a fifo", {special("pipe", AE_IFIFO)}, "pipe"},
        {"a character device", {special("null", AE_IFCHR)}, "null"},
        {"a block device", {special("sda", AE_IFBLK)}, "sda"},  // (tar has no socket type to test)
    };
    for (const Case& c : cases) {
        DYNAMIC_SECTION(c.what)
        {
            TempDir tmp;
            const fs::path dir = tmp.path() / "etc" / "opscode", backup = tmp.path() / "backup.tar";
            fs::create_directory(tmp.path() / "etc");
            make_opscode_tree(dir);
            const std::string before = listing(tmp.path());

            const chu::Status status = chu::install_directory(tar_of(c.items), dir.string(), backup.string());

            REQUIRE_FALSE(status);
            CHECK_THAT(status.error().message, Contains("\"" + c.entry + "\"") && Contains(dir.string()));
            CHECK(listing(tmp.path()) == before);
            CHECK_FALSE(fs::exists(staging(dir)));
            CHECK_FALSE(fs::exists(backup));
        }
    }
}

TEST_CASE("an archive whose symlinks stay inside the directory is accepted, absolute ones included", "[archive]")
{
    TempDir tmp;
    const fs::path opscode = tmp.path() / "opscode";
    const std::string tar =
        tar_of({directory("keys"), file("keys/pivotal.pem", "key"), symlink_to("current", "keys/./pivotal.pem"),
                symlink_to("keys/again", "../keys/../current"), symlink_to("absolute", opscode.string() + "/keys/pivotal.pem")});

    install(tar, opscode, tmp.path() / "backup.tar");

    CHECK(read_file(opscode / "keys" / "again") == "key");
    CHECK(read_file(opscode / "absolute") == "key");
}

TEST_CASE("an archive install that fails while unpacking leaves the old tree byte-identical and no .chu-new behind", "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode";
    make_opscode_tree(dir);
    const std::string before = listing(dir);
    // Passes every safety rule, then fails on disk: a name longer than any filesystem allows.
    const std::string too_long = "keys/" + std::string(300, 'k');
    const std::string tar = tar_of({directory("keys"), file("keys/good.pem", "fine"), file(too_long, "x")});

    const chu::Status status = chu::install_directory(tar, dir.string(), (tmp.path() / "backup.tar").string());

    REQUIRE_FALSE(status);
    CHECK_THAT(status.error().message, Contains(too_long));
    CHECK(listing(dir) == before);
    CHECK_FALSE(fs::exists(staging(dir)));
}

TEST_CASE("a damaged archive is refused and nothing is changed", "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode";
    make_opscode_tree(dir);
    make_opscode_tree(tmp.path() / "bootstrap", "new");
    const std::string before = listing(tmp.path());
    const std::string truncated = packed(tmp.path() / "bootstrap").substr(0, 1000);  // inside the first header

    const chu::Status status = chu::install_directory(truncated, dir.string(), (tmp.path() / "b.tar").string());

    REQUIRE_FALSE(status);
    CHECK_THAT(status.error().message, Contains(dir.string()) && Contains("truncated or corrupt"));
    CHECK(listing(tmp.path()) == before);
}

TEST_CASE("an archive install whose backup cannot be written stops before anything changes", "[archive]")
{
    TempDir tmp;
    const fs::path dir = tmp.path() / "opscode", backup = tmp.path() / "missing-dir" / "backup.tar";
    make_opscode_tree(dir);
    make_opscode_tree(tmp.path() / "bootstrap", "new");
    const std::string before = listing(dir);

    const chu::Status status = chu::install_directory(packed(tmp.path() / "bootstrap"), dir.string(), backup.string());

    REQUIRE_FALSE(status);
    CHECK_THAT(status.error().message, Contains(backup.string()));
    CHECK(listing(dir) == before);
    CHECK_FALSE(fs::exists(staging(dir)));
}

TEST_CASE("packing an archive refuses a fifo, naming it", "[archive]")
{
    TempDir tmp;
    make_opscode_tree(tmp.path() / "opscode");
    const fs::path fifo = tmp.path() / "opscode" / "keepalived" / "control";
    REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);

    const chu::Result<std::string> tar = chu::pack_directory((tmp.path() / "opscode").string());

    REQUIRE_FALSE(tar);
    CHECK_THAT(tar.error().message, Contains(fifo.string()) && Contains("fifo"));
}

TEST_CASE("a support bundle's files pack to a tar or tar.gz that unpacks to the same names, bytes and times",
          "[archive][collect]")
{
    const std::vector<chu::BundleFile> files = {{"fe1.example.com/journal.txt", "epoch 1\n", 1796350000},
                                                {"fe1.example.com/empty.txt", "", 1796350001},
                                                {"be1.example.com/timeline.tsv", std::string("a\tb\0c\n", 6), 1796350002}};
    for (const bool gzip : {false, true}) {
        auto packed = chu::pack_files(files, gzip);
        REQUIRE(packed);
        CHECK((packed->compare(0, 2, "\x1f\x8b") == 0) == gzip);
        auto unpacked = chu::unpack_files(packed.value());
        REQUIRE(unpacked);
        REQUIRE(unpacked->size() == files.size());
        for (std::size_t i = 0; i < files.size(); ++i) {
            CHECK(unpacked.value()[i].name == files[i].name);
            CHECK(unpacked.value()[i].data == files[i].data);
            CHECK(unpacked.value()[i].mtime == files[i].mtime);
        }
    }
    auto cut = chu::unpack_files(chu::pack_files(files, false).value().substr(0, 700));
    REQUIRE(!cut);
    CHECK_THAT(cut.error().message, Contains("fe1.example.com/journal.txt") || Contains("cannot read the archive"));
}
