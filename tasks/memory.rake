# frozen_string_literal: true

require "rbconfig"

# Memory checks of the extension under the real spec suite:
#   rake spec:valgrind  the specs under valgrind memcheck (ruby_memcheck keeps the errors and
#                       definite leaks that involve our .so; Ruby's own are not ours)
#   rake spec:asan      the extension rebuilt with ASan + UBSan, the specs run against it
#   rake spec:gc        the core specs under GC.stress, and with compaction after each example
# Examples tagged :timing (wall-clock limits, lock waits) are left out under valgrind, which runs ~30x slower;
# those tagged :rails_app (they boot Rails apps in subprocesses, seconds each, outside the sanitizer
# and valgrind anyway) are left out of all three, wherever they live.
MEMORY_SPECS = "spec/intercom_sync spec/sync spec/app_data spec/resilience/bad_input_spec.rb"

begin
  require "ruby_memcheck"
  require "ruby_memcheck/rspec/rake_task"
  # spec/support/valgrind/ruby.supp: memory Ruby owns that valgrind blamed on our frames (see there)
  RubyMemcheck.config(binary_name: "intercom_sync_ext",
                      valgrind_suppressions_dir: File.expand_path("../spec/support/valgrind", __dir__))
  namespace :spec do
    RubyMemcheck::RSpec::RakeTask.new(valgrind: :compile) do |t|
      t.rspec_opts = "--tag ~timing --tag ~subprocess --tag ~rails_app #{MEMORY_SPECS}"
    end
  end
rescue LoadError
  desc "needs the ruby_memcheck gem (bundle install)"
  task("spec:valgrind") { abort "spec:valgrind needs the ruby_memcheck gem: bundle install" }
end

namespace :spec do
  desc "Build the extension with AddressSanitizer + UBSan and run the specs against it"
  task :asan do
    build = File.expand_path("tmp/asan", __dir__ + "/..")
    mkdir_p "#{build}/lib/intercom_sync"
    Dir.chdir(build) do
      sh({ "ISYNC_SANITIZE" => "1" }, RbConfig.ruby, File.expand_path("ext/intercom_sync/extconf.rb", "#{__dir__}/.."))
      sh "make -s -j2 >/dev/null && cp intercom_sync_ext.so lib/intercom_sync/"
    end
    libasan = `gcc -print-file-name=libasan.so`.strip
    env = { "LD_PRELOAD" => libasan, "RUBYLIB" => "#{build}/lib",
            # Ruby frees little at exit, so leaks are checked by valgrind and the C tests instead;
            # Ruby installs its own signal stacks per thread, which ASan's would fight at thread exit
            "ASAN_OPTIONS" => "detect_leaks=0:abort_on_error=1:halt_on_error=1:use_sigaltstack=0",
            "UBSAN_OPTIONS" => "halt_on_error=1:print_stacktrace=1",
            # rspec puts lib/ first on the load path, where `rake compile` leaves the plain build:
            # load the sanitized one before anything can require the other
            "RUBYOPT" => "#{ENV['RUBYOPT']} -rintercom_sync/intercom_sync_ext".strip }
    sh env, "#{RbConfig.ruby} -S rspec --tag ~timing --tag ~rails_app #{MEMORY_SPECS} spec/emulator spec/resilience"
  end

  desc "The core specs under GC.stress, then with GC.compact and reference verification after each example"
  task gc: :compile do
    # GC.stress makes every allocation a full GC: the codec specs alone take minutes. Compaction
    # with reference verification costs ~1.5 s an example: the specs that hand VALUEs to C and
    # back (codec, client, the engine's results) run under it; the configuration specs (~200
    # examples of message formatting, ~5 minutes here) touch C only through Client.new, which
    # client_spec covers.
    sh({ "GC_STRESS" => "1" }, "#{RbConfig.ruby} -S rspec --tag ~rails_app spec/intercom_sync/json_spec.rb")
    sh({ "ISYNC_COMPACT" => "1" },
       "#{RbConfig.ruby} -S rspec --tag ~timing --tag ~rails_app spec/intercom_sync/json_spec.rb spec/intercom_sync/client_spec.rb " \
       "spec/sync/find_or_create_spec.rb spec/intercom_sync/shared_budget_spec.rb")
  end
end
