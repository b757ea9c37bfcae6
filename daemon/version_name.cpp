// This daemon's version, in one object of its own: the join compares it between nodes, and the tests link
// a second daemon that says another version, to see the join refuse it.
#include "config/node_setup.hpp"

namespace chu {

const char* daemon_version()
{
    return CHU_VERSION;
}

}  // namespace chu
