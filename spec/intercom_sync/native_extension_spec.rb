# frozen_string_literal: true

require "open3"
require "tmpdir"

# What `require "intercom_sync"` says when the extension cannot be loaded and is not to be built
# here. (The build itself, in a checkout used as a path gem: spec/rails/path_gem_spec.rb.)
RSpec.describe IntercomSync::NativeExtension, subprocess: true do
  root = File.expand_path("../..", __dir__)

  around do |example|
    Dir.mktmpdir("intercom-sync-native") do |dir|
      @dir = dir
      FileUtils.cp_r(File.join(root, "lib"), dir)
      FileUtils.cp_r(File.join(root, "ext"), dir)
      Dir[File.join(dir, "lib/**/*.{so,bundle}")].each { |f| File.delete(f) }
      example.run
    end
  end

  def require_gem(env = {})
    script = 'begin; require "intercom_sync"; puts :loaded; rescue LoadError => e; puts e.class, e.message; end'
    # without our bundle, which would put this checkout's lib/ (and its built .so) first
    env = { "RUBYOPT" => nil, "RUBYLIB" => nil, "BUNDLE_GEMFILE" => nil }.merge(env)
    out, = Open3.capture2e(env, RbConfig.ruby, "-I", File.join(@dir, "lib"), "-e", script)
    out
  end

  it "sends an installed gem without its .so to `bundle pristine`, and builds nothing" do
    out = require_gem
    expect(out).to start_with("IntercomSync::NativeExtension::NotLoadedError\n")
    expect(out).to include("missing from the installed gem", "bundle pristine intercom_sync", "gem pristine intercom_sync")
    expect(Dir.exist?(File.join(@dir, "tmp"))).to be(false)
  end

  it "does not rebuild a .so that is there but does not load, and says how to" do
    FileUtils.touch(File.join(@dir, "intercom_sync.gemspec"))
    File.write(File.join(@dir, "lib/intercom_sync/intercom_sync_ext.#{RbConfig::CONFIG['DLEXT']}"), "not an ELF file")
    out = require_gem
    expect(out).to start_with("IntercomSync::NativeExtension::NotLoadedError\n")
    expect(out).to include("could not be loaded", "libcurl4 libyajl2", "bundle exec intercom-sync-build --clean")
    expect(Dir.exist?(File.join(@dir, "tmp"))).to be(false)
  end

  describe "a checkout whose C sources changed after the .so was built (a git pull into a path gem)" do
    # the built .so loads in a plain Ruby (not the ASan one that rake spec:asan builds)
    before do
      skip "the extension under test needs its sanitizer runtime preloaded" if ENV["LD_PRELOAD"].to_s.include?("asan")
      FileUtils.touch(File.join(@dir, "intercom_sync.gemspec"))
      so = "lib/intercom_sync/intercom_sync_ext.#{RbConfig::CONFIG['DLEXT']}"
      FileUtils.cp(File.join(root, so), File.join(@dir, so))
      # explicit times: a copy and a touch within one clock tick of the kernel get the same mtime
      File.utime(Time.now - 30, Time.now - 30, File.join(@dir, so))
      File.utime(Time.now - 60, Time.now - 60, *Dir[File.join(@dir, "ext/intercom_sync/*")])
    end

    it "loads and names the command to rebuild" do
      File.utime(Time.now, Time.now, File.join(@dir, "ext/intercom_sync/isync_ops.c"))
      out = require_gem
      expect(out).to include("older than its C sources (isync_ops.c); rebuild it: bundle exec intercom-sync-build")
      expect(out).to end_with("loaded\n")
    end

    it "says nothing when the .so is the newer" do
      expect(require_gem).to eq("loaded\n")
    end
  end

  it "builds nothing in a checkout when INTERCOM_SYNC_AUTO_BUILD=0, and names the command" do
    FileUtils.touch(File.join(@dir, "intercom_sync.gemspec"))
    out = require_gem("INTERCOM_SYNC_AUTO_BUILD" => "0")
    expect(out).to include("is not built", "INTERCOM_SYNC_AUTO_BUILD=0", "    bundle exec intercom-sync-build\n")
    expect(Dir.exist?(File.join(@dir, "tmp"))).to be(false)
  end
end
