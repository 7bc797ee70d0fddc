#!/usr/bin/env ruby
# Read .env files with Ruby's dotenv gem (Debian package `ruby-dotenv`) and
# print, for each file, a JSON object mapping key -> hex of the value's UTF-8
# bytes. One FILE prints one object; several FILEs print a JSON array.
# Used by crates/coffer-dotenv/tests/interop.rs.
require "dotenv"
require "json"

def read_one(path)
  # Dotenv::Environment is what Dotenv.load uses: reads with "rb:bom|utf-8"
  # and runs Dotenv::Parser without touching ENV.
  env = Dotenv::Environment.new(path, false)
  env.to_h.transform_values { |v| v.b.unpack1("H*") }
end

if ARGV.empty?
  warn "usage: read_ruby.rb FILE [FILE...]"
  exit 2
end
results = ARGV.map { |p| read_one(p) }
puts JSON.generate(ARGV.length == 1 ? results[0] : results)
