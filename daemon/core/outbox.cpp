#include "outbox.hpp"

#include <algorithm>
#include <utility>

namespace chu {

void Outbox::send(const std::string& to, Message message)
{
    if (to == self_)
        local_.push_back(std::move(message));
    else
        effects_.push_back(Send{to, std::move(message)});
}

void Outbox::record(const Record& record)
{
    if (keeps_ && !underway_said_ &&
        (std::holds_alternative<JoinedRecord>(record) || std::holds_alternative<StartedRecord>(record))) {
        underway_said_ = true;
        effects_.push_back(Underway{});
    }
    effects_.push_back(WriteRecord{record});
    apply_(record);
}

void Outbox::log(Log::Level level, std::string text, std::int32_t phase, std::string step)
{
    effects_.push_back(Log{level, std::move(text), phase, std::move(step)});
}

void Outbox::bug(std::string text)
{
    bugs_.push_back(std::move(text));
}

void Outbox::completed(State outcome, std::string summary)
{
    if (completed_said_)
        return;
    completed_said_ = true;
    effects_.push_back(Completed{outcome, std::move(summary)});
}

std::vector<Effect> Outbox::take_effects()
{
    if (!bugs_.empty()) {  // nothing decided after a state the tables do not know is acted on
        effects_.clear();
        local_.clear();
        if (std::exchange(halt_said_, true))
            return {};
        return {Halt{"internal error (please report it): " + bugs_.front() +
                     "; this node stops acting on it, and resumes from its journal when restarted"}};
    }
    std::vector<Effect> out;
    out.swap(effects_);
    return out;
}

std::vector<Message> Outbox::take_local()
{
    std::vector<Message> out;
    out.swap(local_);
    return out;
}

std::string duration_text(std::int64_t ms)
{
    const std::int64_t s = std::max<std::int64_t>(ms, 0) / 1000;
    auto part = [](std::int64_t n, const char* unit) { return n ? " " + std::to_string(n) + " " + unit : std::string(); };
    if (s >= 3600)
        return std::to_string(s / 3600) + " h" + part(s % 3600 / 60, "min");
    if (s >= 60)
        return std::to_string(s / 60) + " min" + part(s % 60, "s");
    return std::to_string(s) + " s";
}

}  // namespace chu
