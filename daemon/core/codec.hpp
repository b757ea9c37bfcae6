// Little-endian, length-checked encoding shared by wire messages and journal records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chu {

class Writer {
public:
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) { put(v, 4); }
    void u64(std::uint64_t v) { put(v, 8); }
    void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v), 8); }
    void str(std::string_view s)
    {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }
    std::string& bytes() { return out_; }

private:
    void put(std::uint64_t v, int n)
    {
        for (int i = 0; i < n; ++i)
            out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    }
    std::string out_;
};

// Reads what a Writer wrote. Any read past the end sets failed() and returns zero values, so a decoder
// reads every field and checks once at the end.
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
    std::uint64_t u64() { return get(8); }
    std::int64_t i64() { return static_cast<std::int64_t>(get(8)); }
    std::string str(std::size_t max = 16u << 20)
    {
        const std::uint32_t n = u32();
        if (failed_ || n > max || n > in_.size() - pos_) {
            failed_ = true;
            return {};
        }
        std::string s(in_.substr(pos_, n));
        pos_ += n;
        return s;
    }
    bool failed() const { return failed_; }
    bool at_end() const { return pos_ == in_.size(); }
    // Everything read, nothing left over: the only acceptable end of a decode.
    bool complete() const { return !failed_ && at_end(); }

private:
    std::uint64_t get(int n)
    {
        if (failed_ || in_.size() - pos_ < static_cast<std::size_t>(n)) {
            failed_ = true;
            return 0;
        }
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
        pos_ += n;
        return v;
    }
    std::string_view in_;
    std::size_t pos_ = 0;
    bool failed_ = false;
};

}  // namespace chu
