// Little-endian, length-checked encoding shared by wire messages and journal records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

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

// One field list per type serves both directions: `fields(f, m)` names each member once, in wire order;
// Put writes them, Get reads them back into the same members. `format` is the version being read or written.
struct Put {
    Writer& w;
    std::uint8_t format = 0;
    void u8(const std::uint8_t& v) { w.u8(v); }
    void bounded(const std::uint8_t& v, std::uint8_t) { w.u8(v); }
    void flag(const bool& v) { w.u8(v); }
    void u32(const std::uint32_t& v) { w.u32(v); }
    void i32(const std::int32_t& v) { w.u32(static_cast<std::uint32_t>(v)); }
    void u64(const std::uint64_t& v) { w.u64(v); }
    void i64(const std::int64_t& v) { w.i64(v); }
    void str(const std::string& v, std::size_t) { w.str(v); }
    template <class E>
    void choice(const E& v, E)
    {
        w.u8(static_cast<std::uint8_t>(v));
    }
    template <class T, class Each>
    void list(const std::vector<T>& v, std::size_t, Each each)
    {
        w.u32(static_cast<std::uint32_t>(v.size()));
        for (const T& x : v)
            each(const_cast<T&>(x));  // Put only reads: one field list serves both directions
    }
};

struct Get {
    Reader& r;
    std::uint8_t format = 0;
    bool known = true;  // every enum value is one this daemon knows
    void u8(std::uint8_t& v) { v = r.u8(); }
    void bounded(std::uint8_t& v, std::uint8_t max)
    {
        v = r.u8();
        known = known && v <= max;
    }
    void flag(bool& v) { v = r.u8() != 0; }
    void u32(std::uint32_t& v) { v = r.u32(); }
    void i32(std::int32_t& v) { v = static_cast<std::int32_t>(r.u32()); }
    void u64(std::uint64_t& v) { v = r.u64(); }
    void i64(std::int64_t& v) { v = r.i64(); }
    void str(std::string& v, std::size_t max) { v = r.str(max); }
    template <class E>
    void choice(E& v, E last)
    {
        const std::uint8_t x = r.u8();
        known = known && x <= static_cast<std::uint8_t>(last);
        v = static_cast<E>(x);
    }
    template <class T, class Each>
    void list(std::vector<T>& v, std::size_t max, Each each)
    {
        const std::uint32_t n = r.u32();
        if (n > max) {
            known = false;
            return;
        }
        for (std::uint32_t i = 0; i < n && !r.failed(); ++i)
            each(v.emplace_back());
    }
};

// The pinned tag of the alternative a variant holds.
template <class V>
std::uint8_t tag_of(const V& v)
{
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::tag; }, v);
}

// No two alternatives of a variant share a tag.
template <class V, std::size_t... I>
constexpr bool tags_unique(std::index_sequence<I...>)
{
    constexpr std::uint8_t tags[] = {std::variant_alternative_t<I, V>::tag...};
    for (std::size_t a = 0; a < sizeof...(I); ++a)
        for (std::size_t b = a + 1; b < sizeof...(I); ++b)
            if (tags[a] == tags[b])
                return false;
    return true;
}

template <class V>
constexpr bool tags_unique()
{
    return tags_unique<V>(std::make_index_sequence<std::variant_size_v<V>>{});
}

// Encodes the alternative `v` holds with its field list.
template <class V>
void put_fields(Put& put, const V& v)
{
    std::visit([&](const auto& x) { fields(put, const_cast<std::decay_t<decltype(x)>&>(x)); }, v);
}

// Decodes the alternative whose tag is `tag` into `out`; false for a tag no alternative has.
template <class V, std::size_t... I>
bool get_fields(Get& get, std::uint8_t tag, V& out, std::index_sequence<I...>)
{
    bool found = false;
    auto one = [&](auto type) {
        using T = typename decltype(type)::type;
        if (found || T::tag != tag)
            return;
        found = true;
        T m;
        fields(get, m);
        out = std::move(m);
    };
    (one(std::common_type<std::variant_alternative_t<I, V>>{}), ...);
    return found;
}

template <class V>
bool get_fields(Get& get, std::uint8_t tag, V& out)
{
    return get_fields(get, tag, out, std::make_index_sequence<std::variant_size_v<V>>{});
}

}  // namespace chu
