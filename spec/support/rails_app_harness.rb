# frozen_string_literal: true

require "bundler"
require "fileutils"
require "json"
require "open3"
require "securerandom"
require "tmpdir"

# Drives the Rails 7.2 app in spec/rails_app (the gem as a path gem) in subprocesses, the way a
# developer would: bin/rails runner, console, rake tasks, generators, the app's own test suites.
# Its bundle is installed by bin/setup, never here. Each boot costs seconds, so the specs boot
# as few times as they can: the seeded database is built once per process and copied.
module RailsAppHarness
  GEM_ROOT = File.expand_path("../..", __dir__)
  APP_ROOT = File.join(GEM_ROOT, "spec", "rails_app")

  # What a command printed and how it ended.
  Run = Struct.new(:command, :stdout, :stderr, :status) do
    def success? = status.success?
    def output = stdout + stderr

    # For failure messages: the whole story of a failed boot.
    def inspect
      "#<#{command.join(' ')} exited #{status.exitstatus.inspect}\n--- stdout\n#{stdout}\n--- stderr\n#{stderr}>"
    end
  end

  class << self
    # A database with the app's schema and db/seeds.rb (30 users, 3 teams), made on first use.
    def seeded_database
      @seeded_database ||= begin
        # the development log the app appends to would otherwise grow by every run's boots
        FileUtils.rm_f(Dir[File.join(APP_ROOT, "log", "*.log")])
        path = File.join(tmpdir, "seeded.sqlite3")
        run = App.new(root: APP_ROOT, database: path).run("bin/rails", "db:schema:load", "db:seed")
        raise "could not set up the rails_app database: #{run.inspect}" unless run.success?

        path
      end
    end

    # A directory removed when the spec process ends.
    def tmpdir
      @tmpdir ||= Dir.mktmpdir("rails_app").tap { |dir| at_exit { FileUtils.rm_rf(dir) } }
    end

    # A copy of this checkout as a clone would have it (tracked and new files, nothing ignored: no
    # compiled extension, no tmp/), with the app inside it where its Gemfile's `path: "../.."`
    # still finds the gem.
    def fresh_checkout
      dir = Dir.mktmpdir("intercom_sync_checkout", tmpdir)
      files, status = Open3.capture2("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                                     chdir: GEM_ROOT)
      raise "git ls-files failed" unless status.success?

      files.split("\0").each do |file|
        next unless File.file?(File.join(GEM_ROOT, file)) # deleted in the work tree

        FileUtils.mkdir_p(File.join(dir, File.dirname(file)))
        FileUtils.cp(File.join(GEM_ROOT, file), File.join(dir, file), preserve: true)
      end
      dir
    end
  end

  # The app at `root`, its development database at `database`, pointed at `emulator` by ENV.
  class App
    attr_reader :root, :database, :emulator

    def initialize(root: APP_ROOT, database: nil, emulator: nil)
      @root = root
      @database = database || copy_of_seeded_database
      @emulator = emulator
    end

    def env(extra = {})
      base = { "BUNDLE_GEMFILE" => File.join(root, "Gemfile"), "RAILS_ENV" => "development",
               "DATABASE_URL" => "sqlite3:#{database}" }
      if emulator
        base.merge!("INTERCOM_BASE_URL" => emulator.base_url, "INTERCOM_ACCESS_TOKEN" => emulator.token,
                    "INTERCOM_SYNC_ENABLED" => "true")
      end
      base.merge(extra)
    end

    # Runs a command in the app's directory and bundle, outside ours, to the end.
    def run(*command, env: {}, stdin: "")
      stdout, stderr, status = Bundler.with_unbundled_env do
        Open3.capture3(self.env(env), *command, chdir: root, stdin_data: stdin)
      end
      Run.new(command, stdout, stderr, status)
    end

    # bin/rails runner on a script in the app's script/e2e/, which prints one JSON document last.
    def runner_report(script, env: {})
      run = run("bin/rails", "runner", "script/e2e/#{script}.rb", env: env)
      json = run.stdout.lines.last
      raise "#{script} printed no report: #{run.inspect}" unless run.success? && json&.start_with?("{")

      JSON.parse(json)
    end

    # Starts a command with its output on a pipe; yields stdin/out and the process's wait thread.
    def popen(*command, env: {}, &block)
      Bundler.with_unbundled_env do
        Open3.popen2e(self.env(env), *command, chdir: root, &block)
      end
    end

    # Runs a command on a pseudo-terminal (as a person at a shell would) and returns all it wrote.
    def run_on_tty(*command, env: {})
      require "pty"
      output = +""
      status = nil
      Bundler.with_unbundled_env do
        PTY.spawn(self.env(env), *command, chdir: root) do |reader, _writer, pid|
          begin
            reader.each_char { |c| output << c }
          rescue Errno::EIO # the terminal closed: the command ended
            nil
          end
          status = Process.wait2(pid).last
        end
      end
      Run.new(command, output, "", status)
    end

    def copy_of_seeded_database
      path = File.join(Dir.mktmpdir("db", RailsAppHarness.tmpdir), "development.sqlite3")
      FileUtils.cp(RailsAppHarness.seeded_database, path)
      path
    end
  end
end
