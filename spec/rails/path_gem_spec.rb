# frozen_string_literal: true

# The gem used the way issue 12 found broken: `gem "intercom_sync", path: "..."` in a Rails app.
# Bundler never compiles a path gem's extension, so the first require builds it.
RSpec.describe "intercom_sync as a path: gem in a Rails app", :rails_app do
  around do |example|
    Dir.mktmpdir("intercom-sync-path-gem") do |dir|
      @dir = dir
      example.run
    end
  end

  # A checkout as `git clone` leaves it: the gem's files and its gemspec, nothing built.
  def checkout
    root = RailsSandbox::GEM_ROOT
    spec = Dir.chdir(root) { Gem::Specification.load("intercom_sync.gemspec") }
    gem_dir = File.join(@dir, "intercom_sync")
    (spec.files + ["intercom_sync.gemspec"]).each do |file|
      FileUtils.mkdir_p(File.dirname(File.join(gem_dir, file)))
      FileUtils.cp(File.join(root, file), File.join(gem_dir, file), preserve: true)
    end
    gem_dir
  end

  # [[output, status], ...] of processes started with RailsSandbox#spawn
  def finish(started)
    started.map do |pid, reader|
      out = reader.read
      reader.close
      [out, Process.wait2(pid).last]
    end
  end

  it "builds the extension on first boot, once for processes booting together, and says what to run when it cannot" do
    gem_dir = checkout
    app = RailsSandbox.new(File.join(@dir, "app"), gem_path: gem_dir).setup(migrate: false)
    so = File.join(gem_dir, "lib/intercom_sync/intercom_sync_ext.#{RbConfig::CONFIG['DLEXT']}")

    # Two processes booting the app at once (a server and a console, say): one builds, the
    # other waits for it, both run.
    booted = finish(Array.new(2) { app.spawn("bin/rails", "runner", "puts IntercomSync::VERSION") })
    expect(booted.map { |_, s| s.success? }).to eq([true, true]), booted.map(&:first).join("\n---\n")
    expect(booted.map(&:first).join.scan("intercom_sync: building the native extension").size).to eq(1)
    expect(booted.map { |o, _| o.lines.last.chomp }).to eq([IntercomSync::VERSION] * 2)
    expect(File.exist?(so)).to be(true)

    # Later boots load it without a word; the console no longer repeats RubyGems' "Ignoring
    # intercom_sync-0.1.0 because its extensions are not built. Try: gem pristine ...".
    out, status = app.rails("console", stdin: "puts IntercomSync::VERSION\n")
    expect(status).to be_success, out
    expect(out).to include(IntercomSync::VERSION)
    expect(out).not_to include("Ignoring", "extensions are not built", "building")

    # A build that fails (here a compiler error) stops the boot with a typed error naming the
    # log and the command to run in the app.
    File.delete(so)
    source = File.join(gem_dir, "ext/intercom_sync/isync_buf.c")
    original = File.read(source)
    File.write(source, "#error simulated compiler failure\n#{original}")
    out, status = app.rails("runner", "puts :booted")
    expect(status).not_to be_success
    expect(out).to include("IntercomSync::NativeExtension::BuildError", "error: #error simulated compiler failure",
                           "bundle exec intercom-sync-build")
    log = out[%r{(/\S+/tmp/native/[^/\s]+/build\.log)}, 1]
    expect(log).to start_with(gem_dir)
    expect(File.read(log)).to include("#error simulated compiler failure")

    # The command the message gives, run in the app once the cause is fixed, builds it.
    File.write(source, original)
    command = out[/^ +(bundle exec intercom-sync-build)$/, 1]
    out, status = app.run(*command.split)
    expect(status).to be_success, out
    expect(out).to include("built #{so}")
    expect(app.rails("runner", "puts IntercomSync::VERSION").first).to eq("#{IntercomSync::VERSION}\n")
  end

  it "names the command to run in the app when the build on first require is turned off" do
    gem_dir = checkout
    app = RailsSandbox.new(File.join(@dir, "app"), gem_path: gem_dir).setup(migrate: false)
    out, status = app.rails("runner", "puts :booted", env: { "INTERCOM_SYNC_AUTO_BUILD" => "0" })
    expect(status).not_to be_success
    expect(out).to include("IntercomSync::NativeExtension::NotLoadedError", "INTERCOM_SYNC_AUTO_BUILD=0",
                           "    bundle exec intercom-sync-build", "sudo apt-get install")
    expect(out).not_to include("rake compile")
  end
end
