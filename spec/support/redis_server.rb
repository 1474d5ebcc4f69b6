# frozen_string_literal: true

require "fileutils"
require "socket"
require "tmpdir"

# A private redis-server (Debian's package, installed by bin/setup) for the specs and benchmarks
# that need one: its own free port on 127.0.0.1, its own directory for the pid file and log, no
# persistence, stopped (and the directory removed) by #stop. Never the machine's own Redis.
#
#   server = RedisServer.start
#   server.url # => "redis://127.0.0.1:40123/0"
#   server.stop
class RedisServer
  BINARY = "redis-server"

  class Unavailable < StandardError; end

  def self.available?
    ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).any? { |dir| File.executable?(File.join(dir, BINARY)) }
  end

  def self.start(**options)
    new(**options).tap(&:start)
  end

  attr_reader :port, :dir

  def initialize(port: nil)
    @port = port || free_port
    @dir = Dir.mktmpdir("intercom_sync-redis-")
  end

  def url(db = 0)
    "redis://127.0.0.1:#{@port}/#{db}"
  end

  def start
    raise Unavailable, "#{BINARY} is not installed (bin/setup installs Debian's redis-server)" unless self.class.available?

    @pid = Process.spawn(BINARY, "--bind", "127.0.0.1", "--port", @port.to_s, "--dir", @dir,
                         "--pidfile", File.join(@dir, "redis.pid"), "--logfile", File.join(@dir, "redis.log"),
                         "--save", "", "--appendonly", "no", "--daemonize", "no",
                         %i[out err] => File::NULL)
    wait_until_ready
    # a process that ends without calling #stop (an exception past the caller's ensure, exit in
    # a spec) does not leave a server behind; only SIGKILL can
    owner = Process.pid
    at_exit { stop if Process.pid == owner }
    self
  end

  def stop
    return unless @pid

    Process.kill("TERM", @pid)
    Process.wait(@pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  ensure
    @pid = nil
    FileUtils.rm_rf(@dir)
  end

  # The server's log, for a failure message.
  def log
    File.read(File.join(@dir, "redis.log"))
  rescue Errno::ENOENT
    ""
  end

  private

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  # PING until it answers PONG (about 10 ms on loopback), or give up after 10 s.
  def wait_until_ready
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
    loop do
      return if ping == "+PONG"
      raise Unavailable, "redis-server exited: #{log}" if Process.wait(@pid, Process::WNOHANG)
      raise Unavailable, "redis-server did not answer on port #{@port} within 10 s: #{log}" if
        Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.02
    end
  end

  def ping
    TCPSocket.open("127.0.0.1", @port) do |socket|
      socket.write("PING\r\n")
      socket.gets&.chomp
    end
  rescue SystemCallError
    nil
  end
end
