// `chu-simchef init`: a new simulated node, registered in its world.
#include "opscode.hpp"
#include "simchef.hpp"
#include "world.hpp"

#include <unistd.h>

namespace simchef {

namespace {

std::string this_program()
{
    char path[4096];
    const ssize_t n = readlink("/proc/self/exe", path, sizeof path);
    if (n <= 0)
        throw Failure("cannot find this program in /proc/self/exe");
    return std::string(path, static_cast<std::size_t>(n));
}

}  // namespace

int init_node(const std::vector<std::string>& args)
{
    const Options options = parse_options(args,
                                          {"node-dir", "name", "role", "world", "opscode-dir", "keepalived-dir", "upgrades-dir",
                                           "flavor", "master", "migration-level"},
                                          {});
    if (!options.positional.empty())
        throw Usage("init takes options only, not \"" + options.positional[0] + "\"");
    Node node;
    node.dir = absolute(options.required("node-dir"));
    node.name = options.required("name");
    node.role = options.required("role");
    node.world = absolute(options.required("world"));
    node.opscode_dir = absolute(options.required("opscode-dir"));
    node.keepalived_dir = absolute(options.required("keepalived-dir"));
    node.upgrades_dir = absolute(options.required("upgrades-dir"));
    node.flavor = options.required("flavor");
    const std::string master = options.values.count("master") ? options.get("master") : "bootstrap";
    if (node.role != "bootstrap" && node.role != "secondary" && node.role != "frontend")
        throw Usage("--role must be bootstrap, secondary or frontend");
    if (node.flavor != "ec11" && node.flavor != "cs12")
        throw Usage(
            "--flavor must be ec11 (Private Chef 1.4 to Enterprise Chef 11) or cs12 (Enterprise Chef 11 to Chef Server 12)");
    if (master != "bootstrap" && master != "secondary")
        throw Usage("--master must be bootstrap or secondary");
    if (node.name.find_first_of(" \t\n/") != std::string::npos)
        throw Usage("--name must be one word");
    if (exists(node.dir + "/simchef.ini"))
        throw Failure(node.dir + " is a simulated node already");

    make_dirs(node.world);
    const World world(node.world);
    FileLock lock(world.lock_path());
    for (const auto& [name, role] : world.nodes()) {
        if (name == node.name)
            throw Failure("the world " + node.world + " has a node " + name + " already");
        if (role == node.role && role != "frontend")
            throw Failure("the world " + node.world + " has a " + role + " already: " + name);
    }
    world_id(node.world);

    make_dirs(node.dir + "/bin");
    make_dirs(node.dir + "/state");
    const std::string program = this_program();
    for (const char* command : {"private-chef-ctl", "dpkg", "dpkg-deb", "rpm"})
        replace_symlink(program, node.dir + "/bin/" + command);
    NodeState state;
    state.installed = state.configured = starting_version(node.flavor);
    save_state(node, state);
    write_version_manifest(node, state.installed);
    write_opscode(node, state.installed);
    make_dirs(node.upgrades_dir);
    write_file(node.upgrades_dir + "/migration-level",
               (options.values.count("migration-level") ? options.get("migration-level") : migration_level(state.installed)) +
                   "\n");
    if (node.backend()) {
        make_dirs(node.keepalived_dir);
        replace_symlink(world.path("keepalived/" + node.name + ".status"), node.keepalived_dir + "/current_cluster_status");
        replace_symlink(world.path("keepalived/" + node.name + ".requested"), node.keepalived_dir + "/requested_cluster_status");
        keepalived::init_backend(world, node.name, node.role == master);
    }
    append_line(world.path("nodes"), node.name + " " + node.role);
    save_node(node);  // last: a node is initialised only once all of it is there
    return 0;
}

}  // namespace simchef
