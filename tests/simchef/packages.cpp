// The packages: `make-package` writes a fake but well-formed .deb or .rpm; dpkg and rpm install one the way
// the runbooks say, and refuse any other way.
#include "simchef.hpp"
#include "world.hpp"

#include "core/digest.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>

namespace simchef {

namespace {

const std::size_t payload_size = 300 * 1024;  // big enough that copying and hashing it takes a moment

bool ends_with(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string package_name(const std::string& version)
{
    return major_version(version) >= 12 ? "chef-server-core" : "private-chef";
}

// Random-looking bytes, the same for the same seed: a package's checksum is reproducible.
std::string filler(const std::string& seed, std::size_t size)
{
    std::uint64_t x = std::strtoull(chu::sha256_hex(seed).substr(0, 16).c_str(), nullptr, 16) | 1;
    std::string out(size, '\0');
    for (auto& c : out) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x >> 56);
    }
    return out;
}

std::string little_endian(std::uint32_t value, int bytes)
{
    std::string out;
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

std::uint32_t crc32(const std::string& data)
{
    std::uint32_t c = 0xffffffffu;
    for (const unsigned char b : data) {
        c ^= b;
        for (int k = 0; k < 8; ++k)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return ~c;
}

// A ustar archive of one regular file.
std::string tar_of(const std::string& name, const std::string& content)
{
    std::string h(512, '\0');
    auto put = [&h](std::size_t at, const std::string& s) { h.replace(at, s.size(), s); };
    char size[12];
    std::snprintf(size, sizeof size, "%011zo", content.size());
    put(0, name);
    put(100, "0000644");
    put(108, "0000000");
    put(116, "0000000");
    put(124, size);
    put(136, "00000000000");
    put(148, "        ");  // the checksum counts its own field as blanks
    put(156, "0");
    put(257, "ustar");
    put(263, "00");
    put(265, "root");
    put(297, "root");
    unsigned sum = 0;
    for (const unsigned char c : h)
        sum += c;
    char checksum[8];
    std::snprintf(checksum, sizeof checksum, "%06o", sum);
    put(148, std::string(checksum, 6) + '\0' + ' ');
    return h + content + std::string((512 - content.size() % 512) % 512, '\0') + std::string(1024, '\0');
}

// gzip holding one stored (uncompressed) deflate block: a valid .gz in which the control text stays readable.
std::string gzip_stored(const std::string& data)
{
    const auto size = static_cast<std::uint32_t>(data.size());
    return std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x01", 11) + little_endian(size, 2) + little_endian(~size, 2) +
           data + little_endian(crc32(data), 4) + little_endian(size, 4);
}

std::string ar_member(const std::string& name, const std::string& data)
{
    char header[61];
    std::snprintf(header, sizeof header, "%-16s%-12d%-6d%-6d%-8s%-10zu`\n", name.c_str(), 0, 0, 0, "100644", data.size());
    return std::string(header, 60) + data + (data.size() % 2 ? "\n" : "");
}

std::string deb_of(const std::string& version)
{
    const std::string name = package_name(version);
    const std::string control = "Package: " + name + "\nVersion: " + version +
                                "\nArchitecture: amd64\nMaintainer: Chef Software, Inc. <maintainers@chef.io>\n"
                                "Installed-Size: 612000\nSection: misc\nPriority: extra\n"
                                "Description: The full stack of " +
                                name + " (simulated by chu-simchef)\n";
    return "!<arch>\n" + ar_member("debian-binary", "2.0\n") +
           ar_member("control.tar.gz", gzip_stored(tar_of("./control", control))) +
           ar_member("data.tar.xz", std::string("\xfd"
                                                "7zXZ\0",
                                                6) +
                                        filler(version, payload_size));
}

// The lead (96 bytes, its name field "NAME-VERSION"), an empty signature and an empty header, the payload.
std::string rpm_of(const std::string& version)
{
    std::string lead(96, '\0');
    const std::string name = (package_name(version) + "-" + version).substr(0, 65);
    lead.replace(0, 6, std::string("\xed\xab\xee\xdb\x03\x00", 6));  // magic, format 3.0
    lead[9] = 1;                                                     // architecture: x86_64
    lead.replace(10, name.size(), name);
    lead[77] = 1;  // operating system: Linux
    lead[79] = 5;  // signature type: header-style
    const std::string empty_header("\x8e\xad\xe8\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    return lead + empty_header + empty_header + filler(version, payload_size);
}

std::string deb_version(const std::string& bytes)
{
    for (std::size_t at = 8; at + 60 <= bytes.size();) {
        std::string name = trim(bytes.substr(at, 16));
        if (!name.empty() && name.back() == '/')
            name.pop_back();
        const std::size_t size = std::strtoul(bytes.substr(at + 48, 10).c_str(), nullptr, 10);
        if (name == "control.tar.gz") {
            const std::string member = bytes.substr(at + 60, size);
            const auto field = member.find("\nVersion: ");
            if (field == std::string::npos)
                return "";
            const auto from = field + 10;
            return member.substr(from, member.find('\n', from) - from);
        }
        at += 60 + size + size % 2;
    }
    return "";
}

std::string rpm_version(const std::string& bytes)
{
    if (bytes.size() < 96)
        return "";
    const std::string name = bytes.substr(10, 66).c_str();
    for (const std::string prefix : {"chef-server-core-", "private-chef-"})
        if (starts_with(name, prefix))
            return name.substr(prefix.size());
    return "";
}

}  // namespace

// omnibus's Project#write_text_manifest: the first line is the project and its build version ("private-chef
// 11.1.8", "chef-server 12.0.8"), not the package's name.
void write_version_manifest(const Node& node, const std::string& version)
{
    write_file(node.dir + "/version-manifest.txt", std::string(major_version(version) >= 12 ? "chef-server " : "private-chef ") +
                                                       version.substr(0, version.find('-')) + "\n\n");
}

namespace {

const char* const rpm_arch = "x86_64";

// rpm names a package NAME-VERSION-RELEASE.ARCH in its messages (lib/rpmprob.c).
std::string nevra(const std::string& version)
{
    return package_name(version) + "-" + version + "." + rpm_arch;
}

// The package's version as rpm reads it, or rpm's own failure (its exit status, non-zero).
int read_rpm(Call& call, const std::string& path, std::string& version)
{
    bool found = false;
    const std::string bytes = read_file(path, &found);
    if (!found)
        return call.fail("error: open of " + path + " failed: No such file or directory");
    version = starts_with(bytes, "\xed\xab\xee\xdb") ? rpm_version(bytes) : "";
    if (version.empty())
        return call.fail("error: " + path + ": not an rpm package (or package manifest)");
    return 0;
}

int install(Call& call, const std::string& version)
{
    // The Chef Server 12 package brings chef-server-ctl; linked before the state says so, in case of a kill.
    if (major_version(version) >= 12)
        call.link_command("chef-server-ctl");
    write_version_manifest(call.node, version);
    call.state.installed = version;
    call.save();
    call.note("installed=" + version);
    return 0;
}

// rpm -qp --queryformat FORMAT PACKAGE: %{NAME}, %{VERSION}, %{RELEASE}, %{ARCH} and backslash escapes.
int query_rpm(Call& call, const std::string& format, const std::string& version)
{
    const auto dash = version.find('-');
    const std::map<std::string, std::string> tags = {{"NAME", package_name(version)},
                                                     {"VERSION", version.substr(0, dash)},
                                                     {"RELEASE", dash == std::string::npos ? "" : version.substr(dash + 1)},
                                                     {"ARCH", rpm_arch}};
    std::string out;
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format.compare(i, 2, "%{") == 0 && format.find('}', i) != std::string::npos) {
            const auto close = format.find('}', i);
            const auto tag = tags.find(format.substr(i + 2, close - i - 2));
            if (tag == tags.end())
                return call.fail("error: incorrect format: unknown tag");
            out += tag->second;
            i = close;
        } else if (format.compare(i, 2, "\\n") == 0) {
            out += '\n';
            ++i;
        } else {
            out += format[i];
        }
    }
    std::cout << out;
    return 0;
}

}  // namespace

int make_package(const std::vector<std::string>& args)
{
    const Options options = parse_options(args, {"version"}, {});
    if (options.positional.size() != 1)
        throw Usage("make-package needs one PATH");
    const std::string& path = options.positional[0];
    const std::string version = options.required("version");
    make_dirs(dir_of(absolute(path)));
    if (ends_with(path, ".deb"))
        write_file(path, deb_of(version));
    else if (ends_with(path, ".rpm"))
        write_file(path, rpm_of(version));
    else
        throw Usage("the package must be a .deb or an .rpm: " + path);
    return 0;
}

int run_dpkg(Call& call)
{
    const auto& a = call.args;
    if (a.size() != 3 || a[0] != "-D10" || a[1] != "-i")
        return call.refuse("dpkg: the runbooks install with `dpkg -D10 -i PACKAGE`, not `dpkg " + join(a) + "`");
    const std::string& path = a[2];
    bool found = false;
    const std::string bytes = read_file(path, &found);
    if (!found)
        return call.fail("dpkg: error: cannot access archive '" + path + "': No such file or directory");
    const std::string version = starts_with(bytes, "!<arch>\n") ? deb_version(bytes) : "";
    if (version.empty())
        return call.fail("dpkg-deb: error: '" + path +
                         "' is not a Debian format archive\n"
                         "dpkg: error processing archive " +
                         path +
                         " (--install):\n"
                         " dpkg-deb --control subprocess returned error exit status 2\n"
                         "Errors were encountered while processing:\n " +
                         path);
    const std::string& old = call.state.installed;
    const std::string name = package_name(version);
    if (compare_versions(version, old) < 0)
        return call.refuse("dpkg: warning: downgrading " + name + " from " + old + " to " + version +
                           ": the node would run old code on new data");
    std::cout << "(Reading database ... 81234 files and directories currently installed.)\n"
              << "Preparing to unpack .../" << base_of(path) << " ...\n"
              << "Unpacking " << name << " (" << version << ") over (" << old << ") ...\n";
    std::cout.flush();
    // -D10: one debug line per file processed, on stderr like dpkg's (dpkg(1), --debug=10: "output for each file
    // processed"); WORLD/dpkg_debug_lines sets how many files (default 100; the real package has tens of thousands).
    const long long files =
        World(call.node.world).has("dpkg_debug_lines") ? World(call.node.world).milliseconds("dpkg_debug_lines") : 100;
    for (long long i = 1; i <= files; ++i) {
        const std::string file =
            "/opt/opscode/embedded/lib/ruby/gems/2.1.0/gems/chef-" + version + "/lib/chef/file_" + std::to_string(i) + ".rb";
        std::cerr << "D000010: tarobject ti->name='." << file << "' mode=100644 owner=0.0 type=48(-) ti->linkname='' "
                  << "namenode='" << file << "' flags=2 instead='<none>'\n";
    }
    std::cout << "Setting up " << name << " (" << version << ") ...\n"
              << "Thank you for installing " << product_of(version) << "!\n";
    return install(call, version);
}

int run_rpm(Call& call)
{
    const auto& q = call.args;
    if (q.size() == 4 && q[0] == "-qp" && q[1] == "--queryformat") {
        std::string version;
        if (const int failed = read_rpm(call, q[3], version))
            return failed;
        return query_rpm(call, q[2], version);
    }
    // The Chef Server 12 runbook adds --nopostun: the old package's postun would remove what the new one needs.
    std::vector<std::string> expected = {"-Uvh"};
    if (call.node.flavor == "cs12")
        expected.push_back("--nopostun");
    const auto& a = call.args;
    if (a.size() != expected.size() + 1 || !std::equal(expected.begin(), expected.end(), a.begin()))
        return call.refuse("rpm: the runbook installs with `rpm " + join(expected) + " PACKAGE`, not `rpm " + join(a) + "`");
    std::string version;
    if (const int failed = read_rpm(call, a.back(), version))
        return failed;
    const std::string& old = call.state.installed;
    const std::string name = package_name(version);
    // lib/rpmprob.c, one problem a line after "Preparing...", tab-indented; the exit status is the number of
    // packages in the transaction (rpmqv.c RETVAL): 1.
    if (compare_versions(version, old) <= 0)
        std::cout << "Preparing...                          ################################# [100%]\n";
    if (compare_versions(version, old) == 0)
        return call.fail("\tpackage " + nevra(version) + " is already installed");
    if (compare_versions(version, old) < 0)
        return call.fail("\tpackage " + nevra(old) + " (which is newer than " + nevra(version) + ") is already installed");
    std::cout << "Preparing...                          ################################# [100%]\n"
                 "Updating / installing...\n"
              << "   1:" << name << "-" << version << "    ################################# [ 50%]\n"
              << "Cleaning up / removing...\n"
              << "   2:" << package_name(old) << "-" << old << "    ################################# [100%]\n";
    return install(call, version);
}

}  // namespace simchef

namespace simchef {

// dpkg-deb --field PACKAGE FIELD...: with more than one field, one "Field: value" line each (dpkg-deb(1)).
int run_dpkg_deb(Call& call)
{
    const auto& a = call.args;
    if (a.size() < 3 || a[0] != "--field")
        return call.fail("dpkg-deb: the simulated node answers only --field PACKAGE FIELD...");
    bool found = false;
    const std::string bytes = read_file(a[1], &found);
    if (!found)
        return call.fail("dpkg-deb: error: failed to read archive '" + a[1] + "': No such file or directory");
    const std::string version = starts_with(bytes, "!<arch>\n") ? deb_version(bytes) : "";
    if (version.empty())
        return call.fail("dpkg-deb: error: '" + a[1] + "' is not a Debian format archive");
    const std::map<std::string, std::string> fields = {
        {"Package", package_name(version)}, {"Version", version}, {"Architecture", "amd64"}};
    for (std::size_t i = 2; i < a.size(); ++i)
        if (fields.count(a[i]))
            std::cout << (a.size() > 3 ? a[i] + ": " : "") << fields.at(a[i]) << "\n";
    return 0;
}

}  // namespace simchef
