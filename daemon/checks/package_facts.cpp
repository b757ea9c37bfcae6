#include "checks/package_facts.hpp"

#include "config/text_file.hpp"
#include "core/words.hpp"
#include "exec/process.hpp"

#include <unistd.h>

#include <sstream>

namespace chu {

namespace {

constexpr int query_timeout_ms = 30'000;

// dpkg-deb --field PKG Package Version Architecture prints "Package: chef-server-core" and so on.
void read_deb(const Config& config, NodeFacts& facts)
{
    auto out = capture_output({config.commands.dpkg_deb, "--field", facts.package, "Package", "Version", "Architecture"},
                              query_timeout_ms);
    if (!out) {
        facts.package_problem = out.error().message;
        return;
    }
    std::istringstream lines(out.value());
    for (std::string line; std::getline(lines, line);) {
        const auto colon = line.find(": ");
        if (colon == std::string::npos)
            continue;
        const std::string key = line.substr(0, colon), value = line.substr(colon + 2);
        (key == "Package" ? facts.package_name : key == "Version" ? facts.package_version : facts.package_arch) = value;
    }
}

void read_rpm(const Config& config, NodeFacts& facts)
{
    auto out =
        capture_output({config.commands.rpm, "-qp", "--queryformat", "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n", facts.package},
                       query_timeout_ms);
    if (!out) {
        facts.package_problem = out.error().message;
        return;
    }
    const auto w = words(out.value());
    if (w.size() == 3) {
        facts.package_name = w[0];
        facts.package_version = w[1];
        facts.package_arch = w[2];
    }
}

}  // namespace

void read_package_facts(const Config& config, NodeFacts& facts)
{
    // The manifest's first line is the omnibus project and its version: "private-chef 11.1.8".
    if (auto manifest = read_text_file(config.paths.version_manifest); manifest) {
        const auto w = words(manifest.value().substr(0, manifest.value().find('\n')));
        if (w.size() == 2)
            facts.installed_version = w[1];
    }
    if (access(facts.package.c_str(), R_OK) != 0) {
        facts.package_problem = facts.package + " cannot be read";
        return;
    }
    if (facts.format == PackageFormat::deb)
        read_deb(config, facts);
    else if (facts.format == PackageFormat::rpm)
        read_rpm(config, facts);
    if (facts.package_problem.empty() && (facts.package_name.empty() || facts.package_version.empty()))
        facts.package_problem = facts.package + ": its package manager named no package and version in it";
}

}  // namespace chu
