# frozen_string_literal: true

require "open3"
require "tmpdir"

# How the gem builds and what it needs at run time, checked the way a user's install meets them.
RSpec.describe "the gem's build and dependencies" do
  root = File.expand_path("../..", __dir__)

  # Default gems that Ruby 3.4 turned into bundled gems: under Bundler they load only when a
  # gemspec declares them.
  bundled_gems = %w[abbrev base64 bigdecimal csv drb getoptlong mutex_m nkf observer racc resolv-replace
                    rinda syslog]

  it "requires no gem that Ruby 3.4 bundles, unless the gemspec declares it" do
    required = Dir[File.join(root, "lib/**/*.rb")].flat_map { |f| File.read(f).scan(/^\s*require "([\w-]+)"/).flatten }
    spec = Gem::Specification.load(File.join(root, "intercom_sync.gemspec"))
    expect((required.uniq & bundled_gems) - spec.runtime_dependencies.map(&:name)).to eq([])
  end

  it "takes BigDecimal values without loading bigdecimal itself", subprocess: true do
    script = 'require "intercom_sync"; print $LOADED_FEATURES.grep(/bigdecimal|base64/).size; ' \
             'require "bigdecimal"; print " ", IntercomSync::CustomAttributes.scalar(BigDecimal("2.5"))'
    out, status = Open3.capture2e(RbConfig.ruby, "-I", File.join(root, "lib"), "-e", script)
    expect([status.success?, out]).to eq([true, "0 2.5"])
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
