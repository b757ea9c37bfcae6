#include "config/embedded_ruby.hpp"

#include "core/ruby_reading.hpp"
#include "exec/process.hpp"

#include <unistd.h>

namespace chu {

namespace {

// Ruby 1.9.3 (Enterprise Chef 11's embedded Ruby) and later. Every other setting answers anything and is
// ignored; a call's line is the file's line in Ruby's own backtrace.
const char* const recorder = R"rb(
class ChuAny < BasicObject
  def method_missing(*a, &b) self end
end
class ChuRecorder
  def initialize(file) @file = file; @calls = [] end
  attr_reader :calls
  def topology(*a) note("topology", a) end
  def server(*a) note("server", a) end
  def backend_vip(*a) note("backend_vip", a) end
  def method_missing(*a, &b) ChuAny.new end
  def respond_to_missing?(*a) true end
  private
  def esc(s) s.to_s.gsub("\\") { "\\\\" }.gsub("\t") { "\\t" }.gsub("\n") { "\\n" } end
  def note(kind, a)
    at = caller.find { |c| c.start_with?(@file + ":") }
    line = at ? at[@file.size + 1..-1].to_i : 0
    opts = a[1].is_a?(::Hash) ? a[1] : {}
    @calls << ([kind, line, a[0]] + opts.map { |k, v| "#{k}=#{v}" }).map { |f| esc(f) }.join("\t")
  end
end
file = ARGV[0]
r = ChuRecorder.new(file)
r.instance_eval(File.read(file), file, 1)
$stdout.write(r.calls.map { |l| l + "\n" }.join)
)rb";

constexpr int ruby_timeout_ms = 20000;

}  // namespace

Status compare_with_ruby(const std::string& ruby, const std::string& file, const Topology& topology, std::string& note)
{
    if (access(ruby.c_str(), X_OK) != 0) {
        note = "no Chef embedded Ruby at " + ruby + " ([commands] ruby): " + file + " is read by chef-ha-upgrade's reader alone";
        return Ok{};
    }
    auto out = capture_output({ruby, "--disable-gems", "-e", recorder, file}, ruby_timeout_ms);
    if (!out)
        return Error{file + ": Chef's Ruby (" + ruby + ") cannot load it, so neither can Chef: " + out.error().message};
    auto calls = parse_ruby_calls(out.value());
    if (!calls)
        return Error{file + ": " + calls.error().message};
    if (const std::string differs = reading_difference(topology, calls.value()); !differs.empty())
        return Error{file +
                     ": Chef's Ruby and chef-ha-upgrade's reader read it differently, so the cluster may be "
                     "misread: " +
                     differs + ". Write each server on its own line, as topology \"ha\" files do"};
    return Ok{};
}

}  // namespace chu
