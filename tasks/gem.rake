# frozen_string_literal: true

require "rbconfig"
require "tmpdir"

namespace :gem do
  desc "Build the gem, install it into a scratch GEM_HOME (compiling via extconf.rb) and load it"
  task :verify do
    version = GEMSPEC.version
    gem_file = "pkg/intercom_sync-#{version}.gem"
    mkdir_p "pkg"
    sh "gem build intercom_sync.gemspec --output #{gem_file} --quiet"
    Dir.mktmpdir("intercom_sync-gemhome") do |home|
      env = { "GEM_HOME" => home, "GEM_PATH" => home, "BUNDLE_GEMFILE" => nil, "RUBYOPT" => nil }
      # the runtime dependencies first, from the .gem files Bundler cached (--local: no network)
      GEMSPEC.runtime_dependencies.each do |dependency|
        cached = Gem::Specification.find_by_name(dependency.name, dependency.requirement).cache_file
        abort "#{dependency.name}'s .gem is not in the gem cache (#{cached}): bundle install" unless File.exist?(cached)
        sh env, "gem install --local --no-document --install-dir #{home} #{cached} --quiet"
      end
      # (RubyGems' --local install into a scratch --install-dir did not count the dependency just
      # installed there; the check below loads the dependency, so a broken gemspec still fails)
      sh env, "gem install --local --ignore-dependencies --no-document --install-dir #{home} #{gem_file} --quiet"
      check = <<~RUBY
        require "intercom_sync"
        so = $LOADED_FEATURES.grep(/intercom_sync_ext\\.so\\z/).first
        abort "extension not loaded from the installed gem: \#{so}" unless so&.start_with?(#{home.inspect})
        gem_root = File.expand_path("../..", File.dirname(so))
        # what the engine loads from the gem: its rake tasks, the job, the generator and its templates
        %w[lib/intercom_sync/tasks.rake lib/intercom_sync/engine.rb app/jobs/sync_with_intercom_job.rb
           lib/generators/intercom_sync/install/install_generator.rb
           lib/generators/intercom_sync/install/templates/initializer.rb.tt
           lib/generators/intercom_sync/install/templates/migration.rb.tt exe/intercom-sync-build].each do |file|
          abort "\#{file} is missing from the gem" unless File.exist?(File.join(gem_root, file))
        end
        require "intercom_sync/tasks" # the rake tasks' logic, with its dependency (ruby-progressbar)
        require "intercom_sync/emulator"
        IntercomSync::Emulator.start do |emu|
          client = IntercomSync::Client.new(access_token: emu.token, base_url: emu.base_url)
          abort "request failed" unless client.get("/data_attributes").status == 200
        end
        puts "installed gem OK: \#{so}"
      RUBY
      Dir.chdir(Dir.tmpdir) { sh env, RbConfig.ruby, "-e", check, verbose: false }
    end
  end
end
