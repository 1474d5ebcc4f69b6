# frozen_string_literal: true

require "rbconfig"
require "timeout"

# Ctrl-C (INT) and TERM stop the standalone emulator cleanly: the trap handler only wakes the
# main thread, which stops the server (stopping takes locks, which Ruby refuses inside a trap:
# "ThreadError: can't be called from trap context"), and the process exits 0 without a backtrace.
RSpec.describe "stopping the standalone emulator", subprocess: true do
  root = File.expand_path("../..", __dir__)
  lib = File.join(root, "lib")

  commands = {
    "exe/intercom-emulator" => [RbConfig.ruby, "-I", lib, File.join(root, "exe/intercom-emulator"), "--port", "0"],
    "rake intercom_sync:emulator" => [
      RbConfig.ruby, "-I", lib, "-rrake", "-e",
      "Rake.application.init('rake', ['intercom_sync:emulator']); " \
      "load #{File.join(lib, 'intercom_sync/tasks.rake').dump}; Rake.application.top_level"
    ]
  }

  # Starts the command, waits for it to serve, sends the signal; returns [status, stdout, stderr].
  def run_and_signal(command, signal)
    out_r, out_w = IO.pipe
    err_r, err_w = IO.pipe
    pid = Process.spawn({ "PORT" => "0" }, *command, out: out_w, err: err_w)
    [out_w, err_w].each(&:close)
    base_url = wait_for_url(out_r, err_r)
    expect(Net::HTTP.get_response(URI("#{base_url}/__emulator/stats")).code).to eq("200")
    Process.kill(signal, pid)
    status = Timeout.timeout(30) { Process.wait2(pid).last }
    [status, out_r.read, err_r.read]
  ensure
    if pid && !status
      Process.kill(:KILL, pid)
      Process.wait(pid)
    end
  end

  def wait_for_url(*ios)
    seen = +""
    Timeout.timeout(30) do
      loop do
        ready, = IO.select(ios)
        ready.each { |io| seen << (io.read_nonblock(4096, exception: false).then { |s| s.is_a?(String) ? s : "" }) }
        url = seen[%r{http://127\.0\.0\.1:\d+}]
        return url if url
      end
    end
  rescue Timeout::Error
    raise "the emulator did not start; it printed: #{seen}"
  end

  commands.each do |name, command|
    %w[INT TERM].each do |signal|
      it "#{name} stops on #{signal}, exits 0 and prints no backtrace" do
        status, out, err = run_and_signal(command, signal)
        expect(err).not_to match(/Error|\.rb:\d+|from /)
        expect(status.exitstatus).to eq(0)
        expect(out + err).to include("stopped (#{signal})")
      end
    end
  end
end
