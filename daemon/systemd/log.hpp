// Where the daemon's messages go: the systemd journal with CHU_NODE/CHU_PHASE/CHU_STEP fields when stderr is
// connected to it (JOURNAL_STREAM), else plain lines on stderr prefixed with the node name. A step's output
// also goes to a file of its own, which journald's rate limit cannot thin out (systemd before 240 cannot
// lift it for one unit).
#pragma once

#include "posix/posix.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace chu {

// A step run's output past this many bytes goes to the journal only: a runaway command cannot fill the
// state directory, where the journal must keep being written.
constexpr std::uint64_t max_output_per_run = 64u << 20;

class Logger {
public:
    // `output_dir`: where each step's output lines are appended, a file per step ("07-upgrade.log", 0600, the
    // directory made 0700 when first needed); empty: nowhere but the log.
    explicit Logger(std::string node, std::string output_dir = {});

    // `priority` is a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO). phase -1: not about a step. An error
    // about a step that has an output file names it.
    void log(int priority, const std::string& text, int phase = -1, const std::string& step = {}) const;
    // One line a step's command printed; `err` for its stderr. With a phase, also appended to its file.
    void output(const std::string& line, int phase, const std::string& step, bool err) const;
    // A new run of the step's command (`what`: its attempt and command line): a header in its output file,
    // and a log line naming the file. Re-runs append to the same file, each after its own header.
    void begin_output(int phase, const std::string& step, const std::string& what) const;
    // The file a step's output is appended to; empty without an output dir or a phase.
    std::string output_path(int phase, const std::string& step) const;

private:
    void append(int phase, const std::string& step, const std::string& text) const;

    std::string node_;
    bool journal_ = false;
    std::string output_dir_;
    // The output file open for writing (a node runs one step at a time: another step's line reopens).
    mutable Fd file_;
    mutable std::string file_path_;
    mutable std::map<std::string, std::uint64_t> run_bytes_;  // by file: what its current run wrote
    mutable std::set<std::string> given_up_;                  // runs past their cap or unwritable: the journal only, said once
    mutable std::set<std::string> begun_;                     // files begun since the daemon started: errors name these
};

// sd_notify wrappers; both are no-ops without NOTIFY_SOCKET (run by hand, in tests).
void notify_ready();
void notify_status(const std::string& status);

}  // namespace chu
