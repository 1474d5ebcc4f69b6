# frozen_string_literal: true

require "bundler"
require "fileutils"

# A Sidekiq process of the Rails app under spec/rails_app (`bundle exec sidekiq` in the app's
# directory and bundle, as a developer starts one), its output in a log file kept for failure
# messages. #stop sends TERM, which lets the jobs in hand finish (or puts them back on the
# queue after `timeout` seconds), and waits for the exit; KILL only if it never comes.
#
#   worker = SidekiqProcess.start(app, log: "tmp/sidekiq-1.log", env: { "REDIS_URL" => url })
#   worker.stop
#   worker.log
class SidekiqProcess
  # Sidekiq's own shutdown timeout (-t): the seconds TERM leaves the running jobs.
  SHUTDOWN_TIMEOUT = 10

  def self.start(app, **options)
    new(app, **options).tap(&:start)
  end

  attr_reader :log_path, :pid

  def initialize(app, log:, env: {}, concurrency: 5, queues: %w[crm_sync])
    @app = app
    @log_path = log
    @env = env
    @arguments = ["-c", concurrency.to_s, "-t", SHUTDOWN_TIMEOUT.to_s] + queues.flat_map { |queue| ["-q", queue] }
  end

  def start
    FileUtils.mkdir_p(File.dirname(@log_path))
    @pid = Bundler.with_unbundled_env do
      Process.spawn(@app.env(@env), "bundle", "exec", "sidekiq", *@arguments,
                    chdir: @app.root, %i[out err] => [@log_path, "a"], pgroup: true)
    end
    self
  end

  def alive?
    return false unless @pid

    Process.wait(@pid, Process::WNOHANG).nil?
  rescue Errno::ECHILD
    false
  end

  # TERM, then waits; its exit status, or nil when it had to be killed.
  def stop
    return unless @pid

    signal("TERM")
    status = wait_for_exit(SHUTDOWN_TIMEOUT + 20)
    unless status
      signal("KILL")
      wait_for_exit(10)
    end
    status
  ensure
    @pid = nil
  end

  def log
    File.read(@log_path)
  rescue Errno::ENOENT
    ""
  end

  private

  # The process group: `bundle exec` may leave a parent between us and Sidekiq.
  def signal(name)
    Process.kill(name, -@pid)
  rescue Errno::ESRCH
    nil
  end

  def wait_for_exit(seconds)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + seconds
    loop do
      _, status = Process.wait2(@pid, Process::WNOHANG)
      return status if status
      return nil if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.1
    end
  rescue Errno::ECHILD
    true
  end
end
