// load(): locate, collect (includes, then the user's override), merge, and report every
// problem at once.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "profile/internal.hpp"
#include "profile/profile.hpp"

namespace cloister::profile {

const char* to_string(NetworkMode m) {
  switch (m) {
    case NetworkMode::None:
      return "none";
    case NetworkMode::User:
      return "user";
    case NetworkMode::Host:
      return "host";
  }
  return "?";
}
const char* to_string(IpcMode m) { return m == IpcMode::Private ? "private" : "host"; }
const char* to_string(TimeMode m) { return m == TimeMode::Host ? "host" : "private"; }
const char* to_string(BackgroundMode m) { return m == BackgroundMode::Stop ? "stop" : "wait"; }

const char* to_string(HomeMode m) {
  switch (m) {
    case HomeMode::Tmpfs:
      return "tmpfs";
    case HomeMode::Persistent:
      return "persistent";
    case HomeMode::HostRo:
      return "host-ro";
    case HomeMode::Host:
      return "host";
  }
  return "?";
}

const char* to_string(DbusMode m) {
  switch (m) {
    case DbusMode::None:
      return "none";
    case DbusMode::Filtered:
      return "filtered";
    case DbusMode::Host:
      return "host";
  }
  return "?";
}

const char* to_string(FileAccess a) {
  switch (a) {
    case FileAccess::None:
      return "none";
    case FileAccess::ReadOnly:
      return "read-only";
    case FileAccess::ReadWrite:
      return "read-write";
  }
  return "?";
}

namespace {

// The app name decides the override file and ${APP}, so it is settled from the profile's own
// files (the last one that sets it wins) before the override is read.
std::string settle_name(const std::vector<detail::Layer>& layers, const std::string& top_file,
                        const std::string& top_display, detail::Diagnostics& diags) {
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    if (it->name) return it->name->text;
  }
  std::string stem = std::filesystem::path(top_file).stem().string();
  if (!detail::valid_app_name(stem)) {
    diags.push_back({Origin{top_display, 0, 0}, "app.name",
                     "the file name \"" + stem +
                         "\" is not a valid app name; set [app] name to lower-case letters, "
                         "digits, '.', '_' and '-' (at most 64 characters)"});
  }
  return stem;
}

}  // namespace

Profile load_file(const std::string& path, const LoadContext& ctx) {
  // An unreadable top-level file is a failure to run, not a problem inside a profile.
  const FileSource& files = detail::files_of(ctx);
  std::string err;
  bool too_large = false;
  if (!files.read(path, err, too_large) && !too_large) {
    throw Error("cannot read profile " + path + ": " + err);
  }

  detail::Diagnostics diags;
  detail::Collector collector(ctx, diags);
  std::string top_display = collector.add(path);

  Profile profile;
  profile.name = settle_name(collector.result().layers, path, top_display, diags);
  std::size_t own_layers = collector.result().layers.size();

  if (!ctx.override_dir.empty() && detail::valid_app_name(profile.name)) {
    std::string override_file = ctx.override_dir + "/" + profile.name + ".toml";
    bool regular = false;
    int stat_err = files.status(override_file, regular);
    if (stat_err == 0) {
      collector.add(override_file);
    } else if (stat_err != ENOENT && stat_err != ENOTDIR) {
      diags.push_back({Origin{override_file, 0, 0}, "",
                       std::string("cannot read the override file: ") + std::strerror(stat_err)});
    }
  }

  const auto& layers = collector.result().layers;
  for (std::size_t i = own_layers; i < layers.size(); ++i) {
    // The override was chosen by the name; letting it change the name would make ${APP} and
    // the override disagree.
    if (layers[i].name && layers[i].name->text != profile.name) {
      diags.push_back({layers[i].name->origin, layers[i].name->key,
                       "an override cannot rename the app (it is \"" + profile.name +
                           "\"); remove app.name from this file"});
    }
  }

  detail::Vars vars = ctx.vars;
  vars["APP"] = profile.name;
  detail::merge_layers(layers, vars, profile, diags);
  profile.files = collector.result().files;

  if (!diags.empty()) {
    detail::sort_diagnostics(diags, collector.result().seen);
    throw ProfileError(std::move(diags));
  }
  return profile;
}

Profile load(const std::string& name_or_path, const LoadContext& ctx) {
  return load_file(locate(name_or_path, ctx), ctx);
}

}  // namespace cloister::profile
