# frozen_string_literal: true

require "json"
require "net/http"
require "open3"
require "rbconfig"

# The emulator the benchmarks sync against, in a process of its own (its CPU and memory are not
# the syncing process's), with the custom attributes both clients need defined.
class EmulatorProcess
  ROOT = File.expand_path("..", __dir__)
  TOKEN = "bench-token"

  def self.start(**options)
    new(**options).tap(&:start)
  end

  # url; the lines it printed before it (a seeded workspace says how long it took to load)
  attr_reader :url, :startup_lines

  # rtt_ms: a simulated round trip (and 2 more for each new connection's handshakes);
  # rate_limit: requests per 10 s window; seed: a workspace file to load (its attributes
  # defined in it), else the benchmarks' attributes are defined through the API.
  def initialize(rtt_ms:, rate_limit:, seed: nil)
    @cmd = [RbConfig.ruby, "-I#{ROOT}/lib", "#{ROOT}/exe/intercom-emulator", "--port", "0", "--token", TOKEN,
            "--rtt", rtt_ms.to_s, "--rate-limit", rate_limit.to_s, "--handshake-rtts", "2"]
    @cmd.push("--seed", seed) if seed
    @seeded = !seed.nil?
    @startup_lines = []
  end

  def start
    @stdin, output, @thread = Open3.popen2e(*@cmd)
    while (line = output.gets)
      break if (@url = line[%r{http://127\.0\.0\.1:\d+}])

      @startup_lines << line
    end
    abort "emulator did not start" unless @url
    Thread.new { output.each_line { |_| nil } } # keep its pipe drained
    define_attributes unless @seeded
    self
  end

  def pid
    @thread.pid
  end

  # GET /__emulator/stats: requests, connections, rate_limited, ...
  def stats
    JSON.parse(Net::HTTP.get(URI("#{@url}/__emulator/stats")))
  end

  def stop
    Process.kill("TERM", @thread.pid)
    @thread.join
    @stdin.close
  rescue Errno::ESRCH
    nil
  end

  private

  def define_attributes
    system(RbConfig.ruby, "-I#{ROOT}/lib", "-e", <<~RUBY) || abort("could not define attributes")
      require "intercom_sync"; require_relative "#{ROOT}/bench/workload"
      Workload.define_attributes(#{@url.inspect}, #{TOKEN.inspect})
    RUBY
  end
end
