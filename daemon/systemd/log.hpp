// Where the daemon's messages go: the systemd journal with CHU_NODE/CHU_PHASE/CHU_STEP fields when stderr is
// connected to it (JOURNAL_STREAM), else plain lines on stderr prefixed with the node name.
#pragma once

#include <string>

namespace chu {

class Logger {
public:
    explicit Logger(std::string node);

    // `priority` is a syslog level (LOG_ERR, LOG_WARNING, LOG_INFO). phase -1: not about a step.
    void log(int priority, const std::string& text, int phase = -1, const std::string& step = {}) const;
    // One line a step's command printed; `err` for its stderr.
    void output(const std::string& line, int phase, const std::string& step, bool err) const;

private:
    std::string node_;
    bool journal_ = false;
};

// sd_notify wrappers; both are no-ops without NOTIFY_SOCKET (run by hand, in tests).
void notify_ready();
void notify_status(const std::string& status);

}  // namespace chu
