# frozen_string_literal: true

require "open3"
require "tmpdir"

# How the gem builds and what it needs at run time, checked the way a user's install meets them.
RSpec.describe "the gem's build and dependencies" do
  root = File.expand_path("../..", __dir__)

  # Default gems that became bundled gems (Ruby 3.4: base64, bigdecimal, ...; 3.5: logger, ...):
  # under Bundler they load only when a gemspec declares them.
  bundled_gems = %w[base64 bigdecimal csv drb getoptlong mutex_m nkf observer racc resolv-replace rinda
                    syslog abbrev logger ostruct pstore benchmark fiddle irb rdoc reline readline win32ole]

  it "declares every bundled gem that lib/ requires" do
    required = Dir[File.join(root, "lib/**/*.rb")].flat_map { |f| File.read(f).scan(/^\s*require "([\w-]+)"/).flatten }
    needed = (required.uniq & bundled_gems).sort
    expect(needed).to include("base64", "bigdecimal", "logger")
    spec = Gem::Specification.load(File.join(root, "intercom_sync.gemspec"))
    expect(needed - spec.runtime_dependencies.map(&:name)).to eq([])
  end

  it "compiles the extension with -Wall -Wextra -Wdeprecated-declarations, without a warning", subprocess: true do
    Dir.mktmpdir("intercom-sync-build") do |dir|
      out, status = Open3.capture2e(RbConfig.ruby, File.join(root, "ext/intercom_sync/extconf.rb"), chdir: dir)
      expect(status).to be_success, out
      cflags = File.read(File.join(dir, "Makefile"))[/^CFLAGS\s*=(.*)$/, 1].split
      expect(cflags).to include("-Wall", "-Wextra", "-Wdeprecated-declarations")
      out, status = Open3.capture2e("make", "-j2", chdir: dir)
      expect(status).to be_success, out
      expect(out.lines.grep(/warning:/)).to eq([])
    end
  end
end
