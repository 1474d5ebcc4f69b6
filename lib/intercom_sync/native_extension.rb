# frozen_string_literal: true

require "rbconfig"
require_relative "version"

module IntercomSync
  # Loads the compiled extension, and builds it first when it is missing from a source checkout.
  #
  # Bundler compiles the extension of a `git:` gem, but never that of a `path:` gem (the Gemfile
  # manual: "Unlike :git, bundler does not compile C extensions for gems specified as paths"), so
  # an app using this gem by path would fail to boot. Here the first require builds it into
  # lib/intercom_sync/ (where `rake compile` and `gem install` put it), under a lock so that two
  # processes booting at once build it once, with the output in a log.
  module NativeExtension
    # The extension could not be loaded; the message says what to run, in the app. (A LoadError,
    # not an IntercomSync::Error: it is raised before the extension defines those.)
    class NotLoadedError < ::LoadError; end

    # Building the extension on first require failed; #log_path holds the compiler's output.
    class BuildError < NotLoadedError
      attr_reader :log_path

      def initialize(message, log_path)
        super(message)
        @log_path = log_path
      end
    end

    FEATURE = "intercom_sync/intercom_sync_ext"
    ROOT = File.expand_path("../..", __dir__)
    EXTCONF = File.join(ROOT, "ext", "intercom_sync", "extconf.rb")
    BUILD_COMMAND = "bundle exec intercom-sync-build"
    APT_LINE = "sudo apt-get install build-essential libcurl4-openssl-dev libyajl-dev pkg-config"
    # INTERCOM_SYNC_AUTO_BUILD=0 turns the build on require off (a deploy that must not compile).
    AUTO_BUILD_ENV = "INTERCOM_SYNC_AUTO_BUILD"

    module_function

    def load!
      require_or_build
      mark_spec_built
      warn_if_stale
    end

    # In a checkout, C sources newer than the loaded .so (a `git pull` into a path gem) mean Ruby
    # code that may call what the old .so lacks (NoMethodError at the first sync): said at boot,
    # with the command. Not rebuilt here: the old .so is already loaded in this process.
    def warn_if_stale(out = $stderr)
      return unless checkout? && File.exist?(target)

      built = File.mtime(target)
      newer = Dir[File.join(ROOT, "ext", "intercom_sync", "*.{c,h,def,rb}")].select { |f| File.mtime(f) > built }
      return if newer.empty?

      out.puts "intercom_sync: the native extension (#{target}, built #{built}) is older than its C sources " \
               "(#{newer.map { |f| File.basename(f) }.sort.first(3).join(', ')}#{newer.size > 3 ? ', ...' : ''}); " \
               "rebuild it: #{BUILD_COMMAND}"
    end

    # What building needs, loaded only when a build happens: every app requires this file, and
    # fileutils alone is more than the rest of the gem's Ruby to load.
    def require_build_tools
      require "etc"
      require "fileutils"
      require "shellwords"
    end

    def require_or_build
      require FEATURE
    rescue ::LoadError => e
      raise NotLoadedError, broken_message(e) unless e.path == FEATURE

      reason = why_not_buildable
      raise NotLoadedError, missing_message(e, reason) if reason

      build(announce: $stderr, why: "first use of this checkout, about a minute")
      require FEATURE
    end

    # RubyGems looks for a path gem's extension where `gem install` would have put it, never finds
    # it, and says "Ignoring intercom_sync-X because its extensions are not built. Try: gem
    # pristine ..." (advice that fails) whenever something asks it to activate a file that no gem
    # has, as IRB does for its locale files in `rails console` (ruby/rubygems#8754). The extension
    # is loaded, from this checkout: our own spec is told so, and no other.
    def mark_spec_built
      spec = defined?(::Gem) && ::Gem.loaded_specs["intercom_sync"]
      return unless spec && File.expand_path(spec.full_gem_path) == ROOT && spec.missing_extensions?

      spec.extensions = []
    end

    # The installed .so (lib/intercom_sync/intercom_sync_ext.so).
    def target
      File.join(ROOT, "lib", "intercom_sync", "intercom_sync_ext.#{RbConfig::CONFIG['DLEXT']}")
    end

    # Per Ruby and platform, so one checkout serves several Rubies.
    def build_dir
      File.join(ROOT, "tmp", "native", "#{RUBY_PLATFORM}-#{RUBY_VERSION}")
    end

    def log_path
      File.join(build_dir, "build.log")
    end

    # A source checkout (a path: or git: gem, or this repository) has the gemspec; an installed
    # gem has the sources but not the gemspec, and is rebuilt by RubyGems instead.
    def checkout?
      File.exist?(File.join(ROOT, "intercom_sync.gemspec"))
    end

    # nil when the extension can be built here now, else why not.
    def why_not_buildable
      return "this is an installed gem, which RubyGems builds" unless checkout? && File.exist?(EXTCONF)
      return "#{AUTO_BUILD_ENV}=0 turns the build on first require off" if ENV[AUTO_BUILD_ENV] == "0"

      require_build_tools
      lib = File.dirname(target)
      "#{lib} is not writable by this user (#{Etc.getpwuid(Process.uid)&.name || Process.uid})" unless File.writable?(lib)
    end

    # Builds (force: even when the .so exists) and installs the .so; returns its path. announce
    # gets a line (saying why, if given) when the build starts and ends. Raises BuildError naming
    # the log.
    def build(force: false, clean: false, announce: nil, why: nil)
      require_build_tools
      FileUtils.mkdir_p(build_dir)
      File.open(File.join(build_dir, "build.lock"), File::RDWR | File::CREAT, 0o644) do |lock|
        unless lock.flock(File::LOCK_EX | File::LOCK_NB)
          announce&.puts "intercom_sync: waiting for another process building the native extension (log: #{log_path})"
          lock.flock(File::LOCK_EX)
        end
        # Whoever held the lock may have built it meanwhile.
        return target if File.exist?(target) && !force

        build_locked(clean: clean, announce: announce, why: why)
      end
    end

    def build_locked(clean:, announce:, why:)
      FileUtils.rm_rf(Dir[File.join(build_dir, "*")] - [File.join(build_dir, "build.lock")]) if clean
      announce&.puts "intercom_sync: building the native extension in #{ROOT}#{" (#{why})" if why}; log: #{log_path}"
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      File.open(log_path, "w") do |log|
        log.puts "# intercom_sync #{VERSION}: building #{ROOT} with #{RbConfig.ruby} (#{RUBY_DESCRIPTION})"
        log.flush
        run(log, RbConfig.ruby, EXTCONF, *build_args) unless makefile_current?
        run(log, *make_command)
      end
      install_built
      announce&.puts format("intercom_sync: built %<so>s in %<s>.1f s", so: target,
                                                                      s: Process.clock_gettime(Process::CLOCK_MONOTONIC) - started)
      target
    end

    # Copied under a temporary name and renamed: a process loading the .so never sees half a file.
    def install_built
      built = File.join(build_dir, File.basename(target))
      partial = "#{target}.#{Process.pid}.tmp"
      FileUtils.cp(built, partial)
      File.rename(partial, target)
    ensure
      FileUtils.rm_f(partial) if partial
    end

    # The Makefile lists the sources when extconf.rb runs: a newer extconf.rb or a source added
    # or removed since (a `git pull` in the checkout) needs a fresh one. So does a failed run.
    def makefile_current?
      makefile = File.join(build_dir, "Makefile")
      return false unless File.exist?(makefile) && File.mtime(makefile) >= File.mtime(EXTCONF)

      listed = File.read(makefile)[/^ORIG_SRCS = (.*)$/, 1].to_s.split.sort
      listed == Dir[File.join(File.dirname(EXTCONF), "*.c")].map { |f| File.basename(f) }.sort
    end

    # What `bundle config build.intercom_sync ...` says (--with-curl-dir=...), as for a git gem.
    def build_args
      args = defined?(::Bundler) && ::Bundler.respond_to?(:settings) ? ::Bundler.settings["build.intercom_sync"] : nil
      Shellwords.split(args.to_s)
    end

    def make_command
      [*Shellwords.split(ENV.fetch("MAKE", "make")), "-j#{[Etc.nprocessors, 8].min}"]
    end

    # Runs a build step with its output in the log; the app's bundle stays out of the child
    # (RUBYOPT=-rbundler/setup would load the whole Gemfile into extconf.rb).
    def run(log, *command)
      log.puts "$ #{Shellwords.join(command)}"
      log.flush
      env = { "RUBYOPT" => nil, "BUNDLE_GEMFILE" => nil, "BUNDLER_SETUP" => nil }
      pid = Process.spawn(env, *command, chdir: build_dir, in: File::NULL, out: log, err: log)
      _, status = Process.wait2(pid)
      return if status.success?

      log.flush
      raise BuildError.new(failed_message(command, status), log_path)
    rescue SystemCallError => e # make or ruby not found
      raise BuildError.new(failed_message(command, e.message), log_path)
    end

    def failed_message(command, status)
      what = status.is_a?(Process::Status) ? "exited with #{status.exitstatus || status}" : status
      <<~MSG.chomp
        intercom_sync's native extension failed to build: `#{File.basename(command.first)}` #{what}#{cause_line}
        The build's output is in #{log_path}
        Fix the cause, then run this in the app's directory (or start the app again, which retries):

            #{BUILD_COMMAND}

        The build needs a C compiler, libcurl (>= 7.68) and yajl 2.x with their headers, and pkg-config:

            #{APT_LINE}
      MSG
    end

    # The line of the log that says what went wrong: extconf.rb's own verdict, else the first
    # compiler error, else mkmf's.
    def cause_line
      lines = File.readlines(log_path, chomp: true)
      cause = lines.find { |l| l.start_with?("intercom_sync: ") } ||
              lines.find { |l| l.match?(/\berror\b/i) } ||
              lines.find { |l| l.match?(/You have to install development tools|failed/i) }
      cause ? ":\n    #{cause.strip[0, 300]}" : ""
    rescue SystemCallError
      ""
    end

    def missing_message(error, reason)
      if checkout?
        <<~MSG.chomp
          intercom_sync's native extension is not built (#{error.message}), and was not built
          automatically: #{reason}.
          Build it by running this in the app's directory (as a user who can write to #{ROOT}):

              #{BUILD_COMMAND}

          It needs a C compiler, libcurl (>= 7.68) and yajl 2.x with their headers, and pkg-config:

              #{APT_LINE}
        MSG
      else
        <<~MSG.chomp
          intercom_sync's native extension is missing from the installed gem (#{error.message}).
          Reinstall it, in the app's directory: `bundle pristine intercom_sync` (without Bundler:
          `gem pristine intercom_sync --version #{VERSION}`), after `#{APT_LINE}`.
        MSG
      end
    end

    # A .so that exists but does not load (a library missing at run time, another Ruby's build).
    def broken_message(error)
      <<~MSG.chomp
        intercom_sync's native extension could not be loaded (#{error.message}).
        If libcurl or yajl is missing at run time: `sudo apt-get install libcurl4 libyajl2`.
        If it is damaged or was built for another Ruby, rebuild it, in the app's directory: #{
          checkout? ? "`#{BUILD_COMMAND} --clean`" : '`bundle pristine intercom_sync`'
        }.
      MSG
    end
  end
end
