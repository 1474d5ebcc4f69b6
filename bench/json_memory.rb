# frozen_string_literal: true

# The memory one answer costs the C core (issue 9, finding 7): builds bench/json_memory.c with
# the core's sources and runs it, one process per answer, on worst-case shapes (many tiny
# values, just under the default 10 MB response cap) and on a realistic page of 150 contacts
# rendered by the emulator. Run: ruby -Ilib bench/json_memory.rb
require "fileutils"
require "net/http"
require "rbconfig"
require "intercom_sync"
require "intercom_sync/emulator"

ROOT = File.expand_path("..", __dir__)
OUT = File.join(ROOT, "tmp/bench")
FileUtils.mkdir_p(OUT)

def build
  exe = File.join(OUT, "json_memory")
  sources = Dir[File.join(ROOT, "ext/intercom_sync/isync_*.c")].join(" ")
  flags = `pkg-config --cflags --libs libcurl yajl`.strip
  system("cc -std=c99 -D_POSIX_C_SOURCE=200809L -O2 -I#{ROOT}/ext/intercom_sync -o #{exe} " \
         "#{ROOT}/bench/json_memory.c #{sources} #{flags} -lm -lpthread", exception: true)
  exe
end

# Just under the default max_response_bytes (10 MiB).
CAP = 10 * 1024 * 1024 - 16

# As many copies of item as fit under the cap, or count of them.
def repeated(item, open = "[", close = "]", count: (CAP - 2) / (item.bytesize + 1))
  open + Array.new(count, item).join(",") + close
end

# The most values a document may hold (ISYNC_JSON_MAX_VALUES), the container included.
BOUND = (1 << 18) - 1

def contact_page
  emulator = IntercomSync::Emulator.start
  custom = (1..20).to_h { |i| ["attribute_#{i}", i.even? ? "value #{i} of a custom attribute" : i * 1000] }
  companies = Array.new(3) { |i| emulator.seed_company(company_id: "team-#{i}", name: "Team #{i}") }
  150.times do |i|
    contact = emulator.seed_contact(role: "user", external_id: "user-#{i}", email: "user#{i}@example.com",
                                    name: "User Number #{i}", phone: "+33 1 23 45 67 #{i % 100}",
                                    custom_attributes: custom)
    companies.each { |c| emulator.attach(contact["id"], c["id"]) }
  end
  uri = URI("#{emulator.base_url}/contacts?per_page=150")
  req = Net::HTTP::Get.new(uri)
  req["Authorization"] = "Bearer #{emulator.token}"
  req["Accept"] = "application/json"
  req["Intercom-Version"] = "2.16"
  Net::HTTP.start(uri.host, uri.port) { |http| http.request(req) }.body
ensure
  emulator&.stop
end

cases = {
  "[0,0,...]" => -> { repeated("0") },
  "[{},{},...]" => -> { repeated("{}") },
  "[\"\",\"\",...]" => -> { repeated('""') },
  "{\"a\":0,...}" => -> { repeated('"a":0', "{", "}") },
  "[[0,0,0,0,0,0,0,0],...]" => -> { repeated("[0,0,0,0,0,0,0,0]") },
  "[0,0,...] at the value bound" => -> { repeated("0", count: BOUND) },
  "{\"a\":0,...} at the value bound" => -> { repeated('"a":0', "{", "}", count: BOUND) },
  "150 contacts (20 custom attributes, 3 companies each)" => -> { contact_page }
}

exe = build
printf("%-56s %10s %8s %12s %6s %12s %6s  %s\n", "answer", "bytes", "values", "heap (doc)", "x", "peak RSS +", "x",
       "outcome")
cases.each do |name, make|
  path = File.join(OUT, "answer.json")
  File.binwrite(path, make.call)
  bytes, heap, hwm, values, outcome = IO.popen([exe, path], &:read).split(" ", 5)
  bytes = bytes.to_f
  printf("%-56s %10d %8d %12d %6.1f %12d %6.1f  %s\n", name, bytes, values.to_i, heap.to_i, heap.to_f / bytes,
         hwm.to_i, hwm.to_f / bytes, outcome.strip[0, 60])
end
