// A developer's environment for the benches (62 variables, about 3.6 KB): execward passes its own
// environment to every escalated program, so a bench run with two variables would hide what
// building and passing a real one costs.
const LS_COLORS =
  "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33:so=01;35:do=01;35:bd=40;33;01:cd=40;33;01:or=40;31;01:mi=00:su=37;41:sg=30;43:ca=00:tw=30;42:ow=34;42:st=37;44:ex=01;32:" +
  "tar tgz arc arj taz lha lz4 lzh lzma tlz txz tzo t7z zip z dz gz lrz lz lzo xz zst tzst bz2 bz tbz tbz2 tz deb rpm jar war ear sar rar alz ace zoo cpio 7z rz cab wim swm dwm esd"
    .split(" ")
    .map((e) => `*.${e}=01;31`)
    .join(":") +
  ":" +
  "avif jpg jpeg mjpg mjpeg gif bmp pbm pgm ppm tga xbm xpm tif tiff png svg svgz mng pcx mov mpg mpeg m2v mkv webm webp ogm mp4 m4v mp4v vob qt nuv wmv asf rm rmvb flc avi fli flv gl dl xcf xwd yuv cgm emf ogv ogx"
    .split(" ")
    .map((e) => `*.${e}=01;35`)
    .join(":") +
  ":" +
  "aac au flac m4a mid midi mka mp3 mpc ogg ra wav oga opus spx xspf"
    .split(" ")
    .map((e) => `*.${e}=00;36`)
    .join(":") +
  ":";
export const DEVELOPER_ENV = {
  PATH: "/home/dev/.local/bin:/home/dev/.cargo/bin:/home/dev/go/bin:/home/dev/.nvm/versions/node/v20.11.1/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin",
  HOME: "/home/dev",
  USER: "dev",
  LOGNAME: "dev",
  SHELL: "/bin/bash",
  LANG: "en_US.UTF-8",
  LANGUAGE: "en_US:en",
  LC_ALL: "en_US.UTF-8",
  TERM: "xterm-256color",
  COLORTERM: "truecolor",
  LS_COLORS,
  XDG_RUNTIME_DIR: "/run/user/1000",
  XDG_SESSION_ID: "3",
  XDG_SESSION_TYPE: "wayland",
  XDG_SESSION_CLASS: "user",
  XDG_SESSION_DESKTOP: "ubuntu",
  XDG_CURRENT_DESKTOP: "ubuntu:GNOME",
  XDG_CONFIG_DIRS: "/etc/xdg/xdg-ubuntu:/etc/xdg",
  XDG_DATA_DIRS:
    "/usr/share/ubuntu:/usr/share/gnome:/home/dev/.local/share/flatpak/exports/share:/var/lib/flatpak/exports/share:/usr/local/share/:/usr/share/:/var/lib/snapd/desktop",
  XDG_MENU_PREFIX: "gnome-",
  XDG_DATA_HOME: "/home/dev/.local/share",
  XDG_CONFIG_HOME: "/home/dev/.config",
  XDG_CACHE_HOME: "/home/dev/.cache",
  SSH_AUTH_SOCK: "/run/user/1000/keyring/ssh",
  SSH_AGENT_PID: "2231",
  SSH_CLIENT: "10.0.0.5 51234 22",
  SSH_CONNECTION: "10.0.0.5 51234 10.0.0.10 22",
  SSH_TTY: "/dev/pts/2",
  DBUS_SESSION_BUS_ADDRESS: "unix:path=/run/user/1000/bus",
  DISPLAY: ":0",
  WAYLAND_DISPLAY: "wayland-0",
  DESKTOP_SESSION: "ubuntu",
  GDMSESSION: "ubuntu",
  GNOME_TERMINAL_SCREEN: "/org/gnome/Terminal/screen/1c4a0ea5_6f25_4b7c_9d41_1a0c9b2f4e11",
  GNOME_TERMINAL_SERVICE: ":1.112",
  VTE_VERSION: "7006",
  SESSION_MANAGER: "local/dev-laptop:@/tmp/.ICE-unix/2190,unix/dev-laptop:/tmp/.ICE-unix/2190",
  EDITOR: "vim",
  VISUAL: "vim",
  PAGER: "less",
  LESS: "-R",
  LESSOPEN: "| /usr/bin/lesspipe %s",
  LESSCLOSE: "/usr/bin/lesspipe %s %s",
  PWD: "/home/dev/src/project",
  OLDPWD: "/home/dev/src",
  SHLVL: "2",
  _: "/usr/bin/node",
  NVM_DIR: "/home/dev/.nvm",
  NVM_BIN: "/home/dev/.nvm/versions/node/v20.11.1/bin",
  NVM_INC: "/home/dev/.nvm/versions/node/v20.11.1/include/node",
  NVM_CD_FLAGS: "",
  GOPATH: "/home/dev/go",
  CARGO_HOME: "/home/dev/.cargo",
  RUSTUP_HOME: "/home/dev/.rustup",
  PYENV_ROOT: "/home/dev/.pyenv",
  JAVA_HOME: "/usr/lib/jvm/java-17-openjdk-amd64",
  GPG_AGENT_INFO: "/run/user/1000/gnupg/S.gpg-agent:0:1",
  MANPATH:
    "/home/dev/.nvm/versions/node/v20.11.1/share/man:/usr/local/man:/usr/local/share/man:/usr/share/man",
  NODE_OPTIONS: "--max-old-space-size=4096",
  GIT_EDITOR: "vim",
  TMUX: "/tmp/tmux-1000/default,3011,0",
  TMUX_PANE: "%3",
};

/** "62 variables, 3627 bytes": for a bench's output. */
export function describeEnv(env) {
  const bytes = Object.entries(env).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(`${name}=${value}`) + 1,
    0,
  );
  return `${Object.keys(env).length} variables, ${bytes} bytes`;
}
