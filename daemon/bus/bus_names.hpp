// The names of the D-Bus contract (ipc/chef-ha-upgrade.xml) that its XML cannot carry: where the object
// lives and what its errors are called. Shared by the daemon's adaptor and chef-ha-upgrade-ctl.
#pragma once

namespace chu::bus {

inline constexpr const char* name = "net.chefhaupgrade.Upgrade1";
inline constexpr const char* object_path = "/net/chefhaupgrade/Upgrade1";
// The decision was not taken; the message is the leader's reason.
inline constexpr const char* error_refused = "net.chefhaupgrade.Upgrade1.Error.Refused";
// This node could not act on the call; the message says why.
inline constexpr const char* error_failed = "net.chefhaupgrade.Upgrade1.Error.Failed";

}  // namespace chu::bus
