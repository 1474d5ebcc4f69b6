# frozen_string_literal: true

require "intercom_sync"
require "intercom_sync/emulator"

# Under GC.stress (rake spec:gc) every allocation is a full GC, whose cost grows with the heap:
# the codec specs it runs need none of the ActiveRecord sample app and harnesses the other
# helpers load (53k live objects against 124k).
support = Dir[File.join(__dir__, "support", "**", "*.rb")].sort
support = support.grep(%r{/emulator_helpers\.rb\z}) if ENV["GC_STRESS"] == "1"
support.each { |f| require f }

RSpec.configure do |config|
  config.disable_monkey_patching!
  config.order = :random
  Kernel.srand config.seed
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  # The Sidekiq integration spec (spec/rails/sidekiq_spec.rb) takes about a minute: bin/test runs
  # it in a stage of its own, `--tag sidekiq` anywhere else.
  config.filter_run_excluding(:sidekiq)

  # GC torture switches (see README, Development): every VALUE the extension holds must be
  # marked and survive compaction.
  if ENV["GC_STRESS"] == "1"
    config.around(:each) do |example|
      GC.stress = true
      example.run
    ensure
      GC.stress = false
    end
  end
  if ENV["ISYNC_COMPACT"] == "1"
    config.before(:suite) { GC.auto_compact = true if GC.respond_to?(:auto_compact=) }
    config.after(:each) { GC.verify_compaction_references(double_heap: true, toward: :empty) }
  end

  config.include EmulatorHelpers
end
